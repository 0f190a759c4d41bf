#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "output/delivery_worker.hpp"
#include "output/output_spec.hpp"
#include "output/tcp_stream.hpp"
#include "util/expected.hpp"

namespace privsentry {

// What every sink shares: where spools live and how large they may grow, the
// HEC token, TLS defaults that a sink's own options override.
struct SinkSettings {
  std::filesystem::path spool_dir = "/var/lib/privsentry/spool";
  std::uint64_t spool_max_bytes = 64ULL << 20U;
  std::string hec_token;
  TlsOptions tls;
  std::string product_version;
  WorkerOptions worker;
};

// Builds a sink's worker (transport, formatter, spool) from its parsed URI.
Expected<std::unique_ptr<DeliveryWorker>> make_worker(const OutputSpec& spec, const SinkSettings& settings);

Expected<std::vector<std::unique_ptr<DeliveryWorker>>> make_workers(const std::vector<OutputSpec>& specs,
                                                                    const SinkSettings& settings);

}  // namespace privsentry
