#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <unordered_set>

namespace privsentry {

// A set of ids that keeps the newest `limit`: an insert past it forgets the
// oldest. Remembers what was sent without growing for ever.
class BoundedIdSet {
 public:
  explicit BoundedIdSet(std::size_t limit) : limit_(limit == 0 ? 1 : limit) {}

  // False if the id was there already.
  bool insert(const std::string& id) {
    if (!ids_.insert(id).second) {
      return false;
    }
    order_.push_back(id);
    while (order_.size() > limit_) {
      ids_.erase(order_.front());
      order_.pop_front();
    }
    return true;
  }
  [[nodiscard]] bool contains(const std::string& id) const { return ids_.contains(id); }
  [[nodiscard]] std::size_t size() const { return ids_.size(); }
  // Oldest first.
  [[nodiscard]] const std::deque<std::string>& in_order() const { return order_; }

 private:
  std::size_t limit_;
  std::unordered_set<std::string> ids_;
  std::deque<std::string> order_;
};

}  // namespace privsentry
