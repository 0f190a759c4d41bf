#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "enrich/container_metadata_source.hpp"
#include "enrich/docker_client.hpp"
#include "util/notifying_queue.hpp"

namespace privsentry {

struct ReconnectPolicy {
  std::chrono::milliseconds initial{250};
  std::chrono::milliseconds max{30000};
};

// Follows the Docker engine from two threads: one holds the /events stream
// (reconnecting with exponential backoff and jitter), one runs inspect and
// list requests. After every (re)connection it lists the running containers
// and inspects each, so nothing started during an outage is missed.
class DockerWatcher final : public ContainerMetadataSource {
 public:
  DockerWatcher(DockerClient client, NotifyingQueue<DockerUpdate>& updates, ReconnectPolicy policy);
  ~DockerWatcher() override;
  DockerWatcher(const DockerWatcher&) = delete;
  DockerWatcher& operator=(const DockerWatcher&) = delete;

  void start();
  void stop();
  void request_inspect(const std::string& id) override;

 private:
  struct Request {
    bool list = false;
    std::string id;
  };

  void enqueue(Request request);
  void events_loop(const std::stop_token& stop);
  void requests_loop(const std::stop_token& stop);
  std::chrono::milliseconds backoff(unsigned attempt);

  DockerClient client_;
  NotifyingQueue<DockerUpdate>& updates_;
  ReconnectPolicy policy_;
  std::mt19937 jitter_;

  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<Request> requests_;
  std::set<std::string> queued_ids_;

  std::jthread events_thread_;
  std::jthread requests_thread_;
};

}  // namespace privsentry
