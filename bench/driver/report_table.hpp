#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace privsentry::bench {

// The results as the Markdown that README shows: one table per benchmark,
// then the targets, each met or not.
class ReportTable {
 public:
  explicit ReportTable(const nlohmann::json& results) : results_(results) {}
  [[nodiscard]] std::string markdown() const;

 private:
  const nlohmann::json& results_;
};

}  // namespace privsentry::bench
