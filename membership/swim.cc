#include "membership/swim.h"

#include <string>
#include <utility>

#include "membership/detail/codec.h"
#include "membership/detail/swim_core.h"
#include "membership/tuning.h"

namespace picket::membership {

class Swim::Impl : public detail::SwimCore {
 public:
  using detail::SwimCore::SwimCore;
};

Swim::Swim(Config config, Identity self, std::uint64_t seed, Runtime& runtime, TimePoint now,
           std::shared_ptr<NamePool> names)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(self), seed, runtime, now,
                                   std::move(names))) {}

Swim::~Swim() = default;

void Swim::Join(std::vector<Address> seeds, TimePoint now) { impl_->Join(std::move(seeds), now); }
void Swim::WarmStart(const std::vector<Identity>& members, TimePoint now) {
  impl_->WarmStart(members, now);
}
void Swim::Leave(TimePoint now) { impl_->Leave(now); }
Status ValidateTags(const Tags& tags) {
  std::size_t total = 0;
  for (const auto& [key, value] : tags) {
    if (key.empty()) return Fail("tag names must not be empty");
    if (!detail::IsUtf8(key) || !detail::IsUtf8(value)) return Fail("tags must be UTF-8");
    total += key.size() + value.size();
  }
  if (total > tuning::kMaxTagsBytes) {
    return Fail("tags are larger than " + std::to_string(tuning::kMaxTagsBytes) +
                " bytes in total (names plus values)");
  }
  return {};
}

Status Swim::SetTags(Tags tags, TimePoint now) { return impl_->SetTags(std::move(tags), now); }
Status Swim::SetService(std::optional<ServiceStatus> service, TimePoint now) {
  return impl_->SetService(std::move(service), now);
}

void Swim::HandleDatagram(const Address& from, std::span<const std::uint8_t> bytes,
                          TimePoint now) {
  impl_->HandleDatagram(from, bytes, now);
}

std::vector<std::uint8_t> Swim::HandleStreamRequest(const Address& from,
                                                    std::span<const std::uint8_t> request,
                                                    TimePoint now) {
  return impl_->HandleStreamRequest(from, request, now);
}

void Swim::HandleStreamResult(StreamId id, const StreamResult& result, TimePoint now) {
  impl_->HandleStreamResult(id, result, now);
}

void Swim::Tick(TimePoint now) { impl_->Tick(now); }
TimePoint Swim::NextWakeup() const { return impl_->NextWakeup(); }
std::vector<MemberInfo> Swim::Members(TimePoint now) const { return impl_->Members(now); }
std::optional<MemberInfo> Swim::Member(const std::string& name, TimePoint now) const {
  return impl_->Member(name, now);
}
MemberInfo Swim::Self() const { return impl_->Self(); }
Quorum Swim::GetQuorum() const { return impl_->GetQuorum(); }
int Swim::HealthScore() const { return impl_->HealthScore(); }
bool Swim::Joined() const { return impl_->Joined(); }
bool Swim::JoinFailed() const { return impl_->JoinFailed(); }
bool Swim::LeaveComplete() const { return impl_->LeaveComplete(); }
const Counters& Swim::counters() const { return impl_->counters(); }
const Config& Swim::config() const { return impl_->config(); }
std::string Swim::CheckInvariants() const { return impl_->CheckInvariants(); }

}  // namespace picket::membership
