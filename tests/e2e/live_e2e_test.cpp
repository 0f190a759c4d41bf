// privsentry live and privsentry replay --live in a real terminal: tmux runs
// the real binary, the tests press keys and read the screen with
// capture-pane, and check what a person would see.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "e2e/support/e2e_support.hpp"
#include "e2e/support/tmux_session.hpp"

namespace privsentry::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Short names: the NAME column is 18 wide at 120 columns.
std::string short_name(const std::string& prefix) {
  static int counter = 0;
  return prefix + "-" + std::to_string(::getpid() % 100000) + std::to_string(counter++);
}

// The screen row that mentions text, or "".
std::string row_with(const std::vector<std::string>& screen, const std::string& text) {
  for (const auto& row : screen) {
    if (row.find(text) != std::string::npos) {
      return row;
    }
  }
  return {};
}

int row_index(const std::vector<std::string>& screen, const std::string& text) {
  for (std::size_t i = 0; i < screen.size(); ++i) {
    if (screen[i].find(text) != std::string::npos) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::vector<std::string> split_rows(const std::string& text) {
  std::vector<std::string> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    rows.push_back(line);
  }
  return rows;
}

std::string join_rows(const std::vector<std::string>& rows) {
  std::string text;
  for (const auto& row : rows) {
    text += row + "\n";
  }
  return text;
}

std::string dump(const std::vector<std::string>& screen) {
  std::string out = "\n----- screen -----\n";
  for (const auto& row : screen) {
    out += row + "\n";
  }
  return out + "------------------";
}

// Scrolls the detail pane a line at a time until text is on the screen
// (each key is drawn before the next is sent).
void scroll_down_to(TmuxSession& term, const std::string& text) {
  for (int i = 0; i < 80 && !term.wait_for_text(text, std::chrono::milliseconds(300)); ++i) {
    term.keys({"Down"});
  }
}

class LiveE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    PRIVSENTRY_E2E_REQUIRE();
    ASSERT_EQ(run_command({"tmux", "-V"}).exit_code, 0) << "tmux is missing (scripts/setup.sh installs it)";
    const auto version = docker({"version", "--format", "{{.Server.Version}}"});
    ASSERT_EQ(version.exit_code, 0) << "the test Docker engine does not answer at " << docker_host() << ": "
                                    << version.err;
  }

  std::string run(const std::string& name, const std::vector<std::string>& options,
                  const std::vector<std::string>& command) {
    return run_container(cleanup_, name, options, command);
  }

  ContainerCleanup cleanup_;
};

TEST_F(LiveE2E, LiveViewShowsVerdictsDetailsFiltersResizesAndQuits) {
  const auto plain = short_name("lv-plain");
  run(plain, {}, {"sleep", "60"});  // before the view: found by the start-up scan

  TmuxSession term({PRIVSENTRY_BINARY, "live", "--docker-host", docker_host()}, 120, 35);
  ASSERT_TRUE(term.wait_for_text("privsentry live  host")) << dump(term.screen());
  const auto priv = short_name("lv-priv");
  const auto capall = short_name("lv-capall");
  // Twenty execs: more events than the pane shows, to scroll back through.
  run(priv, {"--privileged"},
      {"sh", "-c",
       "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do true; ls / >/dev/null; done; sleep 60"});
  const auto capall_id = run(capall, {"--cap-add", "ALL"}, {"sleep", "60"});

  const auto shows_all_three = [&](const std::string& text) {
    const auto rows = split_rows(text);
    return row_with(rows, capall).find("UNDECLARED PRIVILEGE") != std::string::npos &&
           row_with(rows, priv).find("PRIVILEGED") != std::string::npos &&
           row_with(rows, plain).find("clean") != std::string::npos;
  };
  auto screen = term.wait_for(shows_all_three);
  ASSERT_TRUE(shows_all_three(join_rows(screen))) << dump(screen);
  // The header: host, kernel, tier, Docker state, rates.
  EXPECT_NE(screen[0].find("kernel "), std::string::npos) << dump(screen);
  EXPECT_NE(screen[0].find("tier tracepoint"), std::string::npos) << dump(screen);
  EXPECT_NE(screen[0].find("docker connected"), std::string::npos) << dump(screen);
  EXPECT_NE(screen[0].find("lost 0"), std::string::npos) << dump(screen);
  EXPECT_NE(screen[1].find("CONTAINER"), std::string::npos) << dump(screen);
  EXPECT_NE(screen[1].find("VERDICT"), std::string::npos) << dump(screen);
  // One row per container, its verdict, sorted worst first.
  const auto priv_row = row_with(screen, priv);
  const auto capall_row = row_with(screen, capall);
  const auto plain_row = row_with(screen, plain);
  EXPECT_NE(priv_row.find(" yes "), std::string::npos) << priv_row;  // Docker's privileged flag
  EXPECT_NE(priv_row.find(" full "), std::string::npos) << priv_row;
  EXPECT_NE(priv_row.find(" open "), std::string::npos) << priv_row;
  EXPECT_NE(priv_row.find("PRIVILEGED"), std::string::npos) << priv_row;
  EXPECT_EQ(priv_row.find("UNDECLARED"), std::string::npos) << priv_row;
  EXPECT_NE(capall_row.find("UNDECLARED PRIVILEGE"), std::string::npos) << capall_row;
  EXPECT_NE(capall_row.find(" no "), std::string::npos) << capall_row;
  EXPECT_NE(capall_row.find(" restr "), std::string::npos) << capall_row;
  EXPECT_NE(plain_row.find("clean"), std::string::npos) << plain_row;
  EXPECT_LT(row_index(screen, capall), row_index(screen, priv)) << dump(screen);
  EXPECT_LT(row_index(screen, priv), row_index(screen, plain)) << dump(screen);
  // The event pane: findings as they came.
  EXPECT_NE(row_with(screen, "-- events"), "") << dump(screen);
  EXPECT_NE(row_with(screen, "finding"), "") << dump(screen);

  // The selection stays on the container it was on as rows move: go to the
  // top, then Enter shows that container in detail.
  term.keys({"Up", "Up", "Up", "Up", "Enter"});
  screen = term.wait_for([](const std::string& text) { return text.find("Docker HostConfig") != std::string::npos; });
  EXPECT_NE(row_with(screen, "Container " + capall_id), "") << dump(screen);
  EXPECT_NE(row_with(screen, "[critical] undeclared-privilege"), "") << dump(screen);
  EXPECT_NE(row_with(screen, "[high] full-capability-set"), "") << dump(screen);
  EXPECT_NE(row_with(screen, "  held:    "), "") << dump(screen);
  EXPECT_NE(row_with(screen, "SYS_ADMIN"), "") << dump(screen);
  EXPECT_NE(row_with(screen, "Devices  restricted"), "") << dump(screen);
  // Further down: Docker's HostConfig, the processes with their capability
  // sets, and the timeline.
  scroll_down_to(term, "Timeline");
  screen = term.screen();
  EXPECT_NE(row_with(screen, "Docker HostConfig (known)"), "") << dump(screen);
  EXPECT_NE(row_with(screen, "privileged: false"), "") << dump(screen);
  EXPECT_NE(row_with(screen, "cap_add: [\"ALL\"]"), "") << dump(screen);
  const auto processes_at = row_index(screen, "Processes (");
  ASSERT_GE(processes_at, 0) << dump(screen);
  ASSERT_LT(processes_at + 2, static_cast<int>(screen.size())) << dump(screen);
  EXPECT_NE(screen[static_cast<std::size_t>(processes_at + 1)].find("EFFECTIVE"), std::string::npos) << dump(screen);
  EXPECT_NE(screen[static_cast<std::size_t>(processes_at + 2)].find("sleep"), std::string::npos) << dump(screen);
  EXPECT_NE(screen[static_cast<std::size_t>(processes_at + 2)].find("0x0000003ffeffffff"), std::string::npos)
      << dump(screen);
  term.keys({"NPage", "NPage", "NPage"});
  screen = term.wait_for([&](const std::string& text) { return text.find("start ") != std::string::npos; });
  EXPECT_NE(row_with(screen, "Timeline"), "") << dump(screen);

  // Esc: back to the table.
  term.keys({"Escape"});
  screen = term.wait_for([](const std::string& text) { return text.find("VERDICT") != std::string::npos; });
  EXPECT_NE(row_with(screen, "CONTAINER"), "") << dump(screen);

  // PgUp scrolls the events back; End returns to the newest.
  term.keys({"PPage"});
  EXPECT_TRUE(term.wait_for_text("back, End for newest]")) << dump(term.screen());
  term.keys({"End"});
  screen =
      term.wait_for([](const std::string& text) { return text.find("back, End for newest") == std::string::npos; });
  EXPECT_EQ(row_with(screen, "back, End for newest"), "") << dump(screen);

  // '/' filters by text.
  term.type("/");
  term.type(plain);
  term.keys({"Enter"});
  screen = term.wait_for([&](const std::string& text) { return text.find("filter:" + plain) != std::string::npos; });
  EXPECT_NE(row_with(screen, plain), "") << dump(screen);
  EXPECT_EQ(row_index(screen, priv), -1) << dump(screen);
  EXPECT_EQ(row_index(screen, capall), -1) << dump(screen);
  term.type("/");
  for (std::size_t i = 0; i < plain.size(); ++i) {
    term.keys({"BSpace"});
  }
  term.keys({"Enter"});
  screen = term.wait_for([&](const std::string& text) { return text.find("filter:") == std::string::npos; });
  EXPECT_NE(row_index(screen, priv), -1) << dump(screen);

  // 'f': containers with findings only.
  term.type("f");
  screen = term.wait_for([](const std::string& text) { return text.find("findings only") != std::string::npos; });
  EXPECT_EQ(row_index(screen, plain), -1) << dump(screen);
  EXPECT_NE(row_index(screen, priv), -1) << dump(screen);
  EXPECT_NE(row_index(screen, capall), -1) << dump(screen);
  term.type("f");

  // 's' sorts by name next; '?' shows the keys, any key closes them.
  term.type("s");
  EXPECT_TRUE(term.wait_for_text("sort:name")) << dump(term.screen());
  screen = term.screen();
  EXPECT_LT(row_index(screen, capall), row_index(screen, plain)) << dump(screen);
  EXPECT_LT(row_index(screen, plain), row_index(screen, priv)) << dump(screen);
  term.type("?");
  EXPECT_TRUE(term.wait_for_text("privsentry live: keys")) << dump(term.screen());
  term.type("x");
  EXPECT_TRUE(term.wait_for_text("CONTAINER")) << dump(term.screen());

  // 'p' pauses: a new container does not appear until it is pressed again.
  term.type("p");
  EXPECT_TRUE(term.wait_for_text("PAUSED")) << dump(term.screen());
  const auto late = short_name("lv-late");
  run(late, {"--privileged"}, {"sleep", "60"});
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(row_index(term.screen(), late), -1) << dump(term.screen());
  term.type("p");
  EXPECT_TRUE(term.wait_for_text(late)) << dump(term.screen());

  // 80x24 still shows every column, with the short verdicts.
  term.resize(80, 24);
  screen = term.wait_for([](const std::string& text) { return text.find("UNDECL") != std::string::npos; });
  ASSERT_EQ(screen.size(), 24U) << dump(screen);
  for (const auto& row : screen) {
    EXPECT_LE(row.size(), 80U) << row;
  }
  EXPECT_NE(screen[1].find("VERDICT"), std::string::npos) << dump(screen);
  EXPECT_NE(row_with(screen, "PRIV "), "") << dump(screen);
  EXPECT_NE(row_with(screen, "clean"), "") << dump(screen);
  EXPECT_NE(screen[23].find("? help  q quit"), std::string::npos) << dump(screen);
  // And back to a large terminal.
  term.resize(160, 40);
  screen =
      term.wait_for([](const std::string& text) { return text.find("UNDECLARED PRIVILEGE") != std::string::npos; });
  EXPECT_EQ(screen.size(), 40U) << dump(screen);

  // An exited container stays, marked, until 'c' clears it.
  docker_ok({"rm", "-f", plain});
  screen = term.wait_for(
      [&](const std::string& text) { return row_with(split_rows(text), plain).find("(exited)") != std::string::npos; });
  EXPECT_NE(row_with(screen, plain).find("(exited)"), std::string::npos) << dump(screen);
  term.type("c");
  screen = term.wait_for([&](const std::string& text) { return text.find(plain + " ") == std::string::npos; });
  EXPECT_EQ(row_with(screen, "(exited)"), "") << dump(screen);

  term.type("q");
  const auto code = term.wait_exit();
  ASSERT_TRUE(code) << dump(term.screen());
  EXPECT_EQ(*code, 0) << dump(term.screen());
}

// Docker refuses such container names, so the strings a container really
// controls carry the attack: a label, and the name of a file it runs (which
// is also the process's comm).
TEST_F(LiveE2E, HostileLabelsFileNamesAndCommsDoNotChangeTheScreen) {
  // Sets the terminal title, clears the screen, homes the cursor and writes
  // over the header; the bell and a C1 CSI for good measure.
  const std::string hostile =
      "\x1b]2;PWNED\x07\x1b[2J\x1b[HINJECTED\x07\xc2\x9b"
      "31m";
  TmuxSession term({PRIVSENTRY_BINARY, "live", "--docker-host", docker_host()}, 160, 45);
  ASSERT_TRUE(term.wait_for_text("privsentry live  host")) << dump(term.screen());
  const auto title_before = term.pane_title();
  const auto name = short_name("lv-evil");
  // The script's file name is the hostile string; running it makes it the
  // exec'd file name and the comm of the process that stays.
  const auto id =
      run(name, {"--privileged", "--label", "evil=" + hostile, "--label", hostile + "=key"},
          {"sh", "-c", "f=\"/tmp/$1\"; printf '#!/bin/sh\\nsleep 60\\n' > \"$f\"; chmod +x \"$f\"; \"$f\"; sleep 60",
           "sh", hostile});
  auto screen = term.wait_for([](const std::string& text) { return text.find("\\x1b]2;PWNED") != std::string::npos; });
  // The exec shows in the event pane, escaped.
  EXPECT_NE(row_with(screen, "\\x1b]2;PWNED\\x07\\x1b[2J\\x1b[HINJECTED"), "") << dump(screen);
  EXPECT_EQ(term.pane_title(), title_before);
  EXPECT_EQ(term.pane_title().find("PWNED"), std::string::npos);
  EXPECT_EQ(screen[0].rfind("privsentry live  host", 0), 0U) << dump(screen);
  EXPECT_NE(screen[1].find("CONTAINER"), std::string::npos) << dump(screen);
  for (const auto& row : screen) {
    EXPECT_NE(row.rfind("INJECTED", 0), 0U) << dump(screen);
    const auto at = row.find("INJECTED");
    if (at != std::string::npos) {
      EXPECT_GE(at, 6U) << row;
      EXPECT_EQ(row.substr(at - 6, 6), "\\x1b[H") << row;  // shown as text, not obeyed
    }
  }

  // The detail pane: labels, the process's comm and file, the timeline.
  term.type("/");
  term.type(name);
  term.keys({"Enter"});
  ASSERT_TRUE(term.wait_for_text("filter:" + name)) << dump(term.screen());
  term.keys({"Enter"});
  screen = term.wait_for([](const std::string& text) { return text.find("labels (2)") != std::string::npos; });
  EXPECT_NE(row_with(screen, "    evil=\\x1b]2;PWNED\\x07\\x1b[2J\\x1b[HINJECTED\\x07\\xc2\\x9b31m"), "")
      << dump(screen);
  EXPECT_NE(row_with(screen, "    \\x1b]2;PWNED"), "") << dump(screen);
  scroll_down_to(term, "Timeline");
  screen = term.screen();
  // comm is the first 15 bytes of the file name.
  EXPECT_NE(row_with(screen, "\\x1b]2;PWNED\\x07\\x1b[2J"), "") << dump(screen);
  EXPECT_NE(row_with(screen, "/tmp/\\x1b]2;PWNED"), "") << dump(screen);
  EXPECT_EQ(term.pane_title(), title_before);
  EXPECT_EQ(screen.size(), 45U);
  EXPECT_NE(screen[44].find("Esc back"), std::string::npos) << dump(screen);
  term.type("q");
  EXPECT_EQ(term.wait_exit(), std::optional<int>(0)) << dump(term.screen());
  (void)id;
}

TEST_F(LiveE2E, AttachesToARunningSensorThroughItsSocket) {
  const auto socket =
      std::filesystem::temp_directory_path() / ("privsentry-live-" + std::to_string(::getpid()) + ".sock");
  SensorProcess sensor({"--socket", socket.string()});
  ASSERT_TRUE(std::filesystem::is_socket(socket)) << sensor.log();
  // Only root may attach: the feed shows everything the sensor sees.
  EXPECT_EQ(std::filesystem::status(socket).permissions() &
                (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
  const auto before = short_name("lv-before");
  const auto before_id = run(before, {"--privileged"}, {"sleep", "60"});
  ASSERT_TRUE(sensor.wait_for_finding(before_id, "privileged-container")) << sensor.log();

  TmuxSession term({PRIVSENTRY_BINARY, "live", "--socket", socket.string()}, 120, 35);
  // What the daemon already knew arrives first: header and the container.
  auto screen = term.wait_for([&](const std::string& text) {
    return row_with(split_rows(text), before).find("PRIVILEGED") != std::string::npos;
  });
  EXPECT_NE(row_with(screen, before).find("PRIVILEGED"), std::string::npos) << dump(screen);
  EXPECT_NE(screen[0].find("tier tracepoint"), std::string::npos) << dump(screen);
  // Then what happens next.
  const auto after = short_name("lv-after");
  run(after, {"--cap-add", "ALL"}, {"sleep", "60"});
  screen = term.wait_for([&](const std::string& text) {
    return row_with(split_rows(text), after).find("UNDECLARED") != std::string::npos;
  });
  EXPECT_NE(row_with(screen, after).find("UNDECLARED PRIVILEGE"), std::string::npos) << dump(screen);
  // Leaving the view leaves the daemon running.
  term.type("q");
  EXPECT_EQ(term.wait_exit(), std::optional<int>(0)) << dump(term.screen());
  const auto third = short_name("lv-third");
  const auto third_id = run(third, {"--privileged"}, {"sleep", "60"});
  EXPECT_TRUE(sensor.wait_for_finding(third_id, "privileged-container")) << sensor.log();
  EXPECT_EQ(sensor.stop(), 0) << sensor.log();
  EXPECT_FALSE(std::filesystem::exists(socket));
}

TEST_F(LiveE2E, WithoutATerminalLiveSaysSoAndFails) {
  const auto result = run_command({PRIVSENTRY_BINARY, "live", "--docker-host", docker_host()});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("terminal"), std::string::npos) << result.err;
  const auto replay =
      run_command({PRIVSENTRY_BINARY, "replay", "--live", std::string(PRIVSENTRY_FIXTURES) + "/records/session.psr"});
  EXPECT_EQ(replay.exit_code, 2) << replay.err;
  EXPECT_NE(replay.err.find("terminal"), std::string::npos) << replay.err;
}

}  // namespace
}  // namespace privsentry::e2e
