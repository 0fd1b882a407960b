#include "sim/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "detector/percentile.h"

namespace picket::sim {

namespace {

// Microsecond resolution keeps the JSON readable and stable.
double Round6(double v) { return std::round(v * 1e6) / 1e6; }

nlohmann::json Optional(const std::optional<double>& v) {
  return v ? nlohmann::json(Round6(*v)) : nlohmann::json(nullptr);
}

nlohmann::json ToJson(const Percentiles& p) {
  return {{"p50", Optional(p.p50)},
          {"p99", Optional(p.p99)},
          {"max", Optional(p.max)},
          {"count", p.count}};
}

std::string Text(const std::optional<double>& v, const char* unit = "s") {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f%s", *v, unit);
  return buf;
}

std::string Text(const Percentiles& p) {
  if (p.count == 0) return "-";
  return "p50 " + Text(p.p50) + "  p99 " + Text(p.p99) + "  max " + Text(p.max) +
         "  (n=" + std::to_string(p.count) + ")";
}

}  // namespace

Percentiles ComputePercentiles(std::vector<double> values) {
  Percentiles p;
  p.count = values.size();
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  p.p50 = detector::NearestRank(values, 0.50);
  p.p99 = detector::NearestRank(values, 0.99);
  p.max = values.back();
  return p;
}

nlohmann::json ToJson(const Report& r) {
  nlohmann::json j;
  j["nodes"] = r.nodes;
  j["seed"] = r.seed;
  j["simulated_s"] = Round6(r.simulated_s);
  j["warmup_s"] = Round6(r.warmup_s);
  j["wall_s"] = Optional(r.wall_s);
  j["crashed"] = r.crashed;
  j["undetected"] = r.undetected;
  j["first_suspect_s"] = ToJson(r.first_suspect_s);
  j["first_failed_s"] = ToJson(r.first_failed_s);
  j["all_failed_s"] = ToJson(r.all_failed_s);
  j["dissemination_s"] = ToJson(r.dissemination_s);
  j["false_suspicions"] = r.false_suspicions;
  j["false_failures"] = r.false_failures;
  j["impaired_suspicions"] = r.impaired_suspicions;
  j["impaired_failures"] = r.impaired_failures;
  j["suspicions"] = r.suspicions;
  j["failures"] = r.failures;
  j["warmup_false_suspicions"] = r.warmup_false_suspicions;
  j["warmup_false_failures"] = r.warmup_false_failures;
  j["converged"] = r.converged;
  j["convergence_s"] = Optional(r.convergence_s);
  j["warmup_converged"] = r.warmup_converged;
  j["warmup_converged_s"] = Optional(r.warmup_converged_s);
  j["missing_at_end"] = r.missing_at_end;
  j["distinct_view_sizes"] = r.distinct_view_sizes;
  j["running_at_end"] = r.running_at_end;
  j["majority_at_end"] = r.majority_at_end;
  j["view_mismatch_examples"] = r.view_mismatch_examples;
  j["msgs_per_member_s"] = Round6(r.msgs_per_member_s);
  j["bytes_per_member_s"] = Round6(r.bytes_per_member_s);
  j["datagrams_per_member_s"] = Round6(r.datagrams_per_member_s);
  j["datagram_bytes_per_member_s"] = Round6(r.datagram_bytes_per_member_s);
  j["stream_bytes_per_member_s"] = Round6(r.stream_bytes_per_member_s);
  j["warmup_bytes_per_member_s"] = Round6(r.warmup_bytes_per_member_s);
  j["warmup_stream_bytes_per_member_s"] = Round6(r.warmup_stream_bytes_per_member_s);
  if (r.gray) {
    nlohmann::json members = nlohmann::json::array();
    for (const Report::GrayMember& g : r.gray_members) {
      members.push_back({{"name", g.name},
                         {"suspicions", g.suspicions},
                         {"failures", g.failures},
                         {"readmissions", g.readmissions},
                         {"failed_by", g.failed_by},
                         {"failed_everywhere_s", Optional(g.failed_everywhere_s)},
                         {"readmissions_while_impaired", g.readmissions_while_impaired},
                         {"up_everywhere_after_s", Optional(g.up_everywhere_after_s)}});
    }
    nlohmann::json pairs = nlohmann::json::array();
    for (const auto& [a, b] : r.one_way_pairs) pairs.push_back({{"deaf", a}, {"unheard", b}});
    nlohmann::json agreement = {
        {"from_s", Round6(r.agreement_from_s)},
        {"quorum", r.agreement_quorum},
        {"samples", r.agreement_samples},
        {"agreeing", r.agreeing_samples},
        {"fraction", r.agreement_samples == 0
                         ? nlohmann::json(nullptr)
                         : nlohmann::json(Round6(static_cast<double>(r.agreeing_samples) /
                                                 static_cast<double>(r.agreement_samples)))}};
    j["gray"] = {{"impaired", members},
                 {"one_way_pairs", pairs},
                 {"agreement", agreement},
                 {"false_declared_by_impaired",
                  {{"suspicions", r.false_suspicions_by_impaired},
                   {"failures", r.false_failures_by_impaired}}}};
  }
  if (r.partition) {
    j["partition"] = {
        {"sides", {r.partition_sides[0], r.partition_sides[1]}},
        {"checked", r.partition_checked},
        {"undetected_pairs", {r.partition_undetected[0], r.partition_undetected[1]}},
        {"majority_members", {r.partition_majority[0], r.partition_majority[1]}},
        {"heal_bytes_per_member_s", Optional(r.heal_bytes_per_member_s)},
    };
  }
  j["restarted"] = r.restarted;
  j["rejoined"] = r.rejoined;
  j["rejoin_s"] = ToJson(r.rejoin_s);
  j["joined"] = r.joined;
  j["left"] = r.left;
  if (r.replaced > 0) {
    j["churn"] = {
        {"replaced", r.replaced},
        {"by", r.replaced_by_crash ? "crash" : "leave"},
        {"settled", r.replacements_settled},
        {"settle_s", ToJson(r.replacement_settle_s)},
    };
  }
  nlohmann::json examples = nlohmann::json::array();
  for (const FalseDeclaration& f : r.false_examples) {
    examples.push_back({{"t_s", Round6(f.t_s)},
                        {"observer", f.observer},
                        {"subject", f.subject},
                        {"type", f.type}});
  }
  j["false_examples"] = examples;
  j["core"] = {{"refutations", r.refutations},
               {"stand_downs", r.stand_downs},
               {"probes", r.probes},
               {"indirect_probes", r.indirect_probes},
               {"stream_probes", r.stream_probes},
               {"claim_checks", r.claim_checks},
               {"claim_checks_waited", r.claim_checks_waited},
               {"phi_checks", r.phi_checks},
               {"phi_checks_answered", r.phi_checks_answered},
               {"heartbeats", r.heartbeats},
               {"dropped", r.core_dropped},
               {"errors", r.core_errors},
               {"warnings", r.core_warnings},
               {"quorum_lost_events", r.quorum_lost_events},
               {"quorum_regained_events", r.quorum_regained_events},
               {"error_examples", r.core_error_examples}};
  j["network"] = {{"dropped_loss", r.net_dropped_loss},
                  {"dropped_partition", r.net_dropped_partition},
                  {"dropped_down", r.net_dropped_down},
                  {"dropped_backlog_full", r.net_dropped_backlog},
                  {"dropped_oversized", r.net_dropped_oversized},
                  {"unknown_address", r.net_unknown_address},
                  {"streams", r.streams},
                  {"streams_failed", r.streams_failed},
                  {"max_backlog", r.max_backlog},
                  {"largest_datagram", r.largest_datagram},
                  {"events", r.events},
                  {"tick_spins", r.tick_spins}};
  j["invariant_violations"] = r.invariant_violations;
  j["violation_examples"] = r.violation_examples;
  j["command"] = r.command;
  return j;
}

std::string FormatSummary(const Report& r) {
  std::ostringstream out;
  char buf[160];
  out << "picket sim: " << r.nodes << " members, " << r.simulated_s << " s measured after "
      << r.warmup_s << " s warm-up, seed " << r.seed;
  if (r.wall_s) out << ", " << Text(r.wall_s) << " wall";
  out << "\n";
  out << "  warm-up converged: " << (r.warmup_converged ? "yes" : "NO") << " ("
      << Text(r.warmup_converged_s) << "), " << r.distinct_view_sizes
      << " distinct view sizes in the run\n";
  out << "  crashed " << r.crashed << ", undetected " << r.undetected << "\n";
  out << "  first suspicion   " << Text(r.first_suspect_s) << "\n";
  out << "  first failed      " << Text(r.first_failed_s) << "\n";
  out << "  failed everywhere " << Text(r.all_failed_s) << "\n";
  out << "  dissemination     " << Text(r.dissemination_s) << "\n";
  out << "  declarations: " << r.suspicions << " suspect, " << r.failures
      << " failed; false: " << r.false_suspicions << " suspect, " << r.false_failures
      << " failed; of impaired members: " << r.impaired_suspicions << " suspect, "
      << r.impaired_failures << " failed\n";
  for (const Report::GrayMember& g : r.gray_members) {
    out << "  impaired " << g.name << ": by healthy members " << g.suspicions << " suspect, "
        << g.failures << " failed (by " << g.failed_by << "), " << g.readmissions
        << " re-admitted (" << g.readmissions_while_impaired
        << " while impaired); failed everywhere " << Text(g.failed_everywhere_s)
        << ", up everywhere after it ended " << Text(g.up_everywhere_after_s) << "\n";
  }
  if (r.gray) {
    out << "  false declarations by impaired members: " << r.false_suspicions_by_impaired
        << " suspect, " << r.false_failures_by_impaired << " failed\n";
  }
  if (r.gray && r.agreement_samples > 0) {
    out << "  views agree (" << r.agreement_quorum * 100 << "% of healthy members, one up set) at "
        << r.agreeing_samples << " of " << r.agreement_samples << " samples from "
        << r.agreement_from_s << " s\n";
  }
  if (!r.one_way_pairs.empty()) {
    out << "  one-way faults: " << r.one_way_pairs.size() << " pairs\n";
  }
  if (r.partition) {
    out << "  partition " << r.partition_sides[0] << "/" << r.partition_sides[1]
        << ": undetected pairs " << r.partition_undetected[0] << "/" << r.partition_undetected[1]
        << ", members with a majority " << r.partition_majority[0] << "/" << r.partition_majority[1]
        << ", after the heal " << Text(r.heal_bytes_per_member_s, " B/s per member") << "\n";
  }
  if (r.restarted > 0) {
    out << "  restarted " << r.restarted << ", rejoined " << r.rejoined << "  " << Text(r.rejoin_s)
        << "\n";
  }
  if (r.joined > 0 || r.left > 0) out << "  joined " << r.joined << ", left " << r.left << "\n";
  if (r.replaced > 0) {
    out << "  replaced " << r.replaced << " (by " << (r.replaced_by_crash ? "crash" : "leave")
        << "), settled " << r.replacements_settled << "  " << Text(r.replacement_settle_s) << "\n";
  }
  out << "  converged at end: " << (r.converged ? "yes" : "NO") << " (convergence "
      << Text(r.convergence_s) << ", missing " << r.missing_at_end << ")\n";
  for (const std::string& m : r.view_mismatch_examples) out << "    " << m << "\n";
  std::snprintf(buf, sizeof buf,
                "  traffic per member: %.2f msgs/s, %.0f bytes/s (datagrams %.2f/s %.0f B/s, "
                "streams %.0f B/s)\n",
                r.msgs_per_member_s, r.bytes_per_member_s, r.datagrams_per_member_s,
                r.datagram_bytes_per_member_s, r.stream_bytes_per_member_s);
  out << buf;
  std::snprintf(buf, sizeof buf, "  warm-up traffic per member: %.0f bytes/s (streams %.0f B/s)\n",
                r.warmup_bytes_per_member_s, r.warmup_stream_bytes_per_member_s);
  out << buf;
  out << "  invariant violations: " << r.invariant_violations << "\n";
  for (const std::string& v : r.violation_examples) out << "    " << v << "\n";
  for (const FalseDeclaration& f : r.false_examples) {
    std::snprintf(buf, sizeof buf, "    false %s: %s about %s at t=%.3fs\n", f.type.c_str(),
                  f.observer.c_str(), f.subject.c_str(), f.t_s);
    out << buf;
  }
  out << "  reproduce: " << r.command << "\n";
  return out.str();
}

}  // namespace picket::sim
