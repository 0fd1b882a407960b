#include "sim/swim_host.h"

#include <utility>

namespace picket::sim {

SwimHost::SwimHost(HostId id, Network& network, HostObserver& observer, membership::Config config,
                   membership::Identity identity, std::uint64_t seed, TimePoint now,
                   std::shared_ptr<membership::NamePool> names)
    : id_(id), network_(network), observer_(observer) {
  swim_ = std::make_unique<membership::Swim>(std::move(config), std::move(identity), seed, *this,
                                             now, std::move(names));
}

SwimHost::~SwimHost() = default;

void SwimHost::SendDatagram(const Address& to, std::span<const std::uint8_t> bytes) {
  observer_.OnDatagramSent(id_, bytes.size());
  network_.SendDatagram(id_, to, bytes);
}

void SwimHost::StartStream(StreamId id, const Address& to, std::vector<std::uint8_t> request,
                           membership::Duration timeout) {
  network_.StartStream(id_, id, to, std::move(request), timeout);
}

void SwimHost::OnEvent(const membership::MemberEvent& event) {
  observer_.OnMemberEvent(id_, event);
}

void SwimHost::Log(membership::LogLevel level, std::string_view message) {
  observer_.OnCoreLog(id_, level, message);
}

void SwimHost::OnDatagram(const Address& from, std::span<const std::uint8_t> bytes, TimePoint now) {
  swim_->HandleDatagram(from, bytes, now);
}

std::vector<std::uint8_t> SwimHost::OnStreamRequest(const Address& from,
                                                    std::span<const std::uint8_t> request,
                                                    TimePoint now) {
  return swim_->HandleStreamRequest(from, request, now);
}

void SwimHost::OnStreamResult(StreamId id, const membership::StreamResult& result, TimePoint now) {
  swim_->HandleStreamResult(id, result, now);
}

void SwimHost::OnTick(TimePoint now) { swim_->Tick(now); }

TimePoint SwimHost::NextWakeup() const { return swim_->NextWakeup(); }

}  // namespace picket::sim
