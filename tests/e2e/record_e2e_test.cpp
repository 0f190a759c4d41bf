// privsentry run --record on the real kernel and Docker engine, then
// privsentry replay on the file: the same findings, a chain that finds
// tampering, and a live view that steps through time in a real terminal.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <regex>
#include <sstream>
#include <thread>

#include "e2e/support/e2e_support.hpp"
#include "e2e/support/tmux_session.hpp"

namespace privsentry::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using RuleAndId = std::pair<std::string, std::string>;

std::vector<json> parse_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto record = json::parse(line, nullptr, false);
    EXPECT_FALSE(record.is_discarded()) << "not JSON: " << line;
    out.push_back(std::move(record));
  }
  return out;
}

std::vector<RuleAndId> findings_of(const std::vector<json>& records) {
  std::vector<RuleAndId> out;
  for (const auto& r : records) {
    if (r.is_object() && r.value("kind", "") == "finding") {
      out.emplace_back(r["rule"].get<std::string>(), r["id"].get<std::string>());
    }
  }
  return out;
}

// Milliseconds since the epoch of a record's RFC 3339 time.
std::optional<long long> parse_ms(const json& time) {
  const auto text = time.get<std::string>();
  std::tm tm{};
  std::istringstream in(text.substr(0, 19));
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) {
    return std::nullopt;
  }
  long long ms = static_cast<long long>(::timegm(&tm)) * 1000;
  if (text.size() > 23 && text[19] == '.') {
    ms += std::stoll(text.substr(20, 3));
  }
  return ms;
}

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_bytes(const std::filesystem::path& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

// Where each block starts (the layout README and record_format.hpp give:
// an 88-byte header whose bytes 12..15 are the payload length).
std::vector<std::size_t> block_starts(const std::string& data) {
  std::vector<std::size_t> starts;
  std::size_t at = 0;
  while (at + 88 <= data.size()) {
    starts.push_back(at);
    std::size_t payload = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      payload |= static_cast<std::size_t>(static_cast<unsigned char>(data[at + 12 + i])) << (8U * i);
    }
    at += 88 + payload;
  }
  return starts;
}

std::string dump(const std::vector<std::string>& screen) {
  std::string out = "\n----- screen -----\n";
  for (const auto& row : screen) {
    out += row + "\n";
  }
  return out + "------------------";
}

std::string row_with(const std::vector<std::string>& screen, const std::string& text) {
  for (const auto& row : screen) {
    if (row.find(text) != std::string::npos) {
      return row;
    }
  }
  return {};
}

class RecordReplayE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    PRIVSENTRY_E2E_REQUIRE();
    const auto version = docker({"version", "--format", "{{.Server.Version}}"});
    ASSERT_EQ(version.exit_code, 0) << "the test Docker engine does not answer at " << docker_host() << ": "
                                    << version.err;
    dir_ = std::filesystem::temp_directory_path() / ("privsentry-record-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string run(const std::string& name, const std::vector<std::string>& options,
                  const std::vector<std::string>& command) {
    return run_container(cleanup_, name, options, command);
  }

  std::filesystem::path dir_;
  ContainerCleanup cleanup_;
};

TEST_F(RecordReplayE2E, ARecordedRunReplaysToTheSameFindingsAndTamperingIsFound) {
  const auto file = dir_ / "run.psr";
  // Short names: the live view's NAME column shows them whole.
  const auto tag = std::to_string(::getpid() % 100000);
  const auto priv = "rr-priv-" + tag;
  const auto capall = "rr-capall-" + tag;
  std::string priv_id;
  std::string capall_id;
  std::vector<json> live;
  std::string last_hash;
  {
    SensorProcess sensor({"--record", file.string()});
    priv_id = run(priv, {"--privileged"}, {"sleep", "60"});
    ASSERT_TRUE(sensor.wait_for_finding(priv_id, "privileged-container")) << sensor.log();
    ASSERT_TRUE(sensor.wait_for_finding(priv_id, "unrestricted-devices")) << sensor.log();
    std::this_thread::sleep_for(500ms);  // apart in time, for --from below
    capall_id = run(capall, {"--cap-add", "ALL"}, {"sleep", "60"});
    run("rr-plain-" + tag, {}, {"sh", "-c", "ls /; sleep 60"});
    ASSERT_TRUE(sensor.wait_for_finding(capall_id, "undeclared-privilege")) << sensor.log();
    docker_ok({"rm", "-f", priv});
    ASSERT_TRUE(sensor.wait_for([&](const json& r) {
      return r.value("kind", "") == "container-exit" && r["container"].value("id", "") == priv_id;
    })) << sensor.log();
    std::this_thread::sleep_for(1s);
    ASSERT_EQ(sensor.stop(), 0) << sensor.log();
    live = sensor.records();
    // The hash an operator keeps apart from the file.
    std::smatch match;
    const auto log = sensor.log();
    ASSERT_TRUE(std::regex_search(log, match, std::regex("SHA-256 is ([0-9a-f]{64})"))) << log;
    last_hash = match[1];
  }
  const auto live_findings = findings_of(live);
  ASSERT_GE(live_findings.size(), 4U);

  // Replay judges again from what the kernel and Docker said: the same
  // findings, ids, evidence and times, in the same order; the same container
  // starts and exits (whose record ids are per session, so new).
  const auto replay = run_command({PRIVSENTRY_BINARY, "replay", file.string()});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  const auto replayed = parse_lines(replay.out);
  EXPECT_EQ(findings_of(replayed), live_findings);
  const auto decisions = [](const std::vector<json>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) {
      const auto kind = r.value("kind", "");
      if (kind == "finding") {
        out.push_back(r.dump());
      } else if (kind == "container-start" || kind == "container-exit") {
        auto without_id = r;
        without_id.erase("id");
        out.push_back(without_id.dump());
      }
    }
    return out;
  };
  const auto live_decisions = decisions(live);
  const auto replayed_decisions = decisions(replayed);
  EXPECT_EQ(replayed_decisions.size(), live_decisions.size());
  for (std::size_t i = 0; i < std::min(live_decisions.size(), replayed_decisions.size()); ++i) {
    EXPECT_EQ(replayed_decisions[i], live_decisions[i]) << "record " << i;
  }

  // --as-recorded prints the decisions as they were made, byte for byte.
  const auto recorded = run_command({PRIVSENTRY_BINARY, "replay", "--as-recorded", file.string()});
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  std::vector<std::string> live_finding_lines;
  for (const auto& r : live) {
    if (r.value("kind", "") == "finding") {
      live_finding_lines.push_back(r.dump());
    }
  }
  std::vector<std::string> recorded_finding_lines;
  for (const auto& r : parse_lines(recorded.out)) {
    if (r.value("kind", "") == "finding") {
      recorded_finding_lines.push_back(r.dump());
    }
  }
  EXPECT_EQ(recorded_finding_lines, live_finding_lines);

  // --from keeps what happened from then on.
  std::string capall_time;
  for (const auto& r : live) {
    if (r.value("kind", "") == "container-start" && r["container"].value("id", "") == capall_id) {
      capall_time = r["time"];
    }
  }
  ASSERT_FALSE(capall_time.empty());
  const auto from = run_command({PRIVSENTRY_BINARY, "replay", "--from", capall_time, file.string()});
  ASSERT_EQ(from.exit_code, 0) << from.err;
  const auto from_findings = findings_of(parse_lines(from.out));
  EXPECT_LT(from_findings.size(), live_findings.size());
  EXPECT_TRUE(std::any_of(from_findings.begin(), from_findings.end(),
                          [](const RuleAndId& f) { return f.first == "undeclared-privilege"; }));
  for (const auto& r : parse_lines(from.out)) {
    EXPECT_GE(r.value("time", std::string()), capall_time) << r.dump();
  }

  // --until keeps what happened up to then: with --from, every record once.
  const auto until = run_command({PRIVSENTRY_BINARY, "replay", "--until", capall_time, file.string()});
  ASSERT_EQ(until.exit_code, 0) << until.err;
  const auto until_records = parse_lines(until.out);
  for (const auto& r : until_records) {
    EXPECT_LE(r.value("time", std::string()), capall_time) << r.dump();
  }
  std::size_t at_cut = 0;  // records stamped exactly at the cut are in both
  for (const auto& r : replayed) {
    at_cut += r.value("time", std::string()) == capall_time ? 1U : 0U;
  }
  EXPECT_EQ(until_records.size() + parse_lines(from.out).size(), replayed.size() + at_cut);

  // --speed paces by the recorded times: never faster than the recording
  // at that speed.
  const auto span_ms = *parse_ms(replayed.back()["time"]) - *parse_ms(replayed.front()["time"]);
  const auto paced_start = std::chrono::steady_clock::now();
  const auto paced = run_command({PRIVSENTRY_BINARY, "replay", "--speed", "4", file.string()});
  const auto paced_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - paced_start).count();
  ASSERT_EQ(paced.exit_code, 0) << paced.err;
  EXPECT_EQ(parse_lines(paced.out).size(), replayed.size());
  EXPECT_GE(paced_ms, span_ms / 4 - 50) << "a recording of " << span_ms << " ms replayed in " << paced_ms
                                        << " ms at --speed 4";

  // The chain of custody.
  const auto verified = run_command({PRIVSENTRY_BINARY, "replay", "--verify", file.string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("whole and untouched"), std::string::npos) << verified.out;
  EXPECT_NE(verified.out.find("last block SHA-256 " + last_hash), std::string::npos) << verified.out;
  const auto data = read_bytes(file);
  const auto starts = block_starts(data);
  ASSERT_GE(starts.size(), 3U) << "a header, data and a closing block";

  // One changed byte in the payload of the second block.
  auto altered = data;
  altered[starts[1] + 88 + 5] = static_cast<char>(altered[starts[1] + 88 + 5] ^ 0x20);
  const auto altered_file = dir_ / "altered.psr";
  write_bytes(altered_file, altered);
  const auto altered_verify = run_command({PRIVSENTRY_BINARY, "replay", "--verify", altered_file.string()});
  EXPECT_EQ(altered_verify.exit_code, 1) << altered_verify.out;
  EXPECT_NE(altered_verify.out.find("NOT whole"), std::string::npos) << altered_verify.out;
  EXPECT_NE(altered_verify.out.find("block 1"), std::string::npos) << altered_verify.out;
  EXPECT_NE(altered_verify.out.find("altered"), std::string::npos) << altered_verify.out;
  const auto altered_replay = run_command({PRIVSENTRY_BINARY, "replay", altered_file.string()});
  EXPECT_EQ(altered_replay.exit_code, 1);
  EXPECT_NE(altered_replay.err.find("stopped at"), std::string::npos) << altered_replay.err;

  // Cut short in the middle of the last data block.
  const auto cut_file = dir_ / "cut.psr";
  write_bytes(cut_file, data.substr(0, starts[starts.size() - 2] + 100));
  const auto cut_verify = run_command({PRIVSENTRY_BINARY, "replay", "--verify", cut_file.string()});
  EXPECT_EQ(cut_verify.exit_code, 1) << cut_verify.out;
  EXPECT_NE(cut_verify.out.find("cut short"), std::string::npos) << cut_verify.out;
  const auto cut_replay = run_command({PRIVSENTRY_BINARY, "replay", cut_file.string()});
  EXPECT_EQ(cut_replay.exit_code, 1);
  EXPECT_NE(cut_replay.err.find("stopped at"), std::string::npos) << cut_replay.err;
  // What came before the cut still replays, as it did live.
  const auto cut_findings = findings_of(parse_lines(cut_replay.out));
  ASSERT_LE(cut_findings.size(), live_findings.size());
  EXPECT_TRUE(std::equal(cut_findings.begin(), cut_findings.end(), live_findings.begin()));

  // The recording in the live view, stepped through time by keys.
  TmuxSession term({PRIVSENTRY_BINARY, "replay", "--live", file.string()}, 120, 35);
  ASSERT_TRUE(term.wait_for_text("REPLAY")) << dump(term.screen());
  auto screen = term.screen();
  for (int i = 0; i < 30 && row_with(screen, " END").empty(); ++i) {
    term.keys({"]"});
    std::this_thread::sleep_for(300ms);  // a frame or so
    screen = term.screen();
  }
  ASSERT_NE(row_with(screen, "REPLAY").find(" END"), std::string::npos) << dump(screen);
  EXPECT_NE(row_with(screen, priv).find("PRIVILEGED (exited)"), std::string::npos) << dump(screen);
  EXPECT_NE(row_with(screen, capall).find("UNDECLARED PRIVILEGE"), std::string::npos) << dump(screen);
  EXPECT_NE(screen[0].find("tier tracepoint"), std::string::npos) << dump(screen);

  // Pause, then back to the start: no containers yet.
  term.keys({"Space"});
  ASSERT_TRUE(term.wait_for_text("PAUSED")) << dump(term.screen());
  for (int i = 0; i < 30 && !term.wait_for_text("(no containers yet)", 300ms); ++i) {
    term.keys({"["});
  }
  screen = term.screen();
  ASSERT_NE(row_with(screen, "(no containers yet)"), "") << dump(screen);
  EXPECT_NE(row_with(screen, "PAUSED"), "") << dump(screen);
  // Step forward one message at a time until the first container shows.
  bool appeared = false;
  for (int i = 0; i < 400 && !appeared; ++i) {
    term.keys({"."});
    std::this_thread::sleep_for(150ms);
    appeared = row_with(term.screen(), "(no containers yet)").empty();
  }
  ASSERT_TRUE(appeared) << dump(term.screen());
  // And back one at a time until it is gone again.
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    term.keys({","});
    std::this_thread::sleep_for(150ms);
    gone = !row_with(term.screen(), "(no containers yet)").empty();
  }
  EXPECT_TRUE(gone) << dump(term.screen());
  term.type("q");
  EXPECT_EQ(term.wait_exit(), std::optional<int>(0)) << dump(term.screen());
}

}  // namespace
}  // namespace privsentry::e2e
