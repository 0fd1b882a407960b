#include "delivery/cloud_event.h"

#include "api/json_writer.h"

namespace picket::delivery {

std::string RenderCloudEvent(const CloudEventFields& fields) {
  std::string out;
  out.reserve(200 + fields.data.size());
  out.append("{\"specversion\":\"1.0\",\"id\":");
  api::AppendJsonString(out, fields.id);
  out.append(",\"source\":");
  api::AppendJsonString(out, fields.source);
  out.append(",\"type\":");
  api::AppendJsonString(out, fields.type);
  if (!fields.subject.empty()) {
    out.append(",\"subject\":");
    api::AppendJsonString(out, fields.subject);
  }
  out.append(",\"time\":\"");
  api::AppendRfc3339(out, fields.time);
  out.append("\",\"datacontenttype\":\"application/json\",\"data\":");
  out.append(fields.data);
  out.push_back('}');
  return out;
}

std::string CloudEventSource(std::string_view agent_name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "picket://";
  for (const char c : agent_name) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') ||
                            (u >= '0' && u <= '9') || u == '-' || u == '.' || u == '_' ||
                            u == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

}  // namespace picket::delivery
