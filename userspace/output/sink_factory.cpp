#include "output/sink_factory.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "output/file_transport.hpp"
#include "output/http_transport.hpp"
#include "output/stream_transport.hpp"
#include "output/syslog_transport.hpp"

namespace privsentry {
namespace {

TlsOptions tls_for(const OutputSpec& spec, const SinkSettings& settings) {
  TlsOptions tls = settings.tls;
  tls.ca_file = spec.option("ca", tls.ca_file);
  tls.cert_file = spec.option("cert", tls.cert_file);
  tls.key_file = spec.option("key", tls.key_file);
  tls.server_name = spec.option("server_name", tls.server_name);
  tls.insecure = spec.option("insecure", tls.insecure ? "true" : "false") == "true";
  return tls;
}

}  // namespace

Expected<std::unique_ptr<DeliveryWorker>> make_worker(const OutputSpec& spec, const SinkSettings& settings) {
  RecordFormatter formatter(spec.format, settings.product_version);
  std::unique_ptr<Transport> transport;
  switch (spec.kind) {
    case OutputKind::kStdout:
      transport = std::make_unique<StreamTransport>(stdout, "stdout", formatter);
      break;
    case OutputKind::kFile:
      transport = std::make_unique<FileTransport>(
          spec.path, std::strtoull(spec.option("max_mib", "100").c_str(), nullptr, 10) << 20U,
          static_cast<unsigned>(std::atoi(spec.option("keep", "5").c_str())), formatter);
      break;
    case OutputKind::kSyslogUdp:
    case OutputKind::kSyslogTcp:
      transport = std::make_unique<SyslogTransport>(spec, std::nullopt, formatter, ::getpid());
      break;
    case OutputKind::kSyslogTls:
      transport = std::make_unique<SyslogTransport>(spec, tls_for(spec, settings), formatter, ::getpid());
      break;
    case OutputKind::kHec:
      if (settings.hec_token.empty()) {
        return Error{"--output " + spec.uri +
                     ": a HEC sink needs a token: hec-token in the config file or "
                     "PRIVSENTRY_HEC_TOKEN"};
      }
      [[fallthrough]];
    case OutputKind::kElastic:
    case OutputKind::kWebhook:
      transport = std::make_unique<HttpTransport>(spec, settings.hec_token, tls_for(spec, settings), formatter);
      break;
  }
  std::unique_ptr<Spool> spool;
  if (spec.durable()) {
    auto opened = Spool::open(SpoolOptions{settings.spool_dir / spec.name(), settings.spool_max_bytes});
    if (!opened) {
      return Error{"--output " + spec.uri + ": " + opened.error().message};
    }
    spool = std::move(*opened);
  }
  WorkerOptions options = settings.worker;
  if (spec.options.contains("batch")) {
    options.batch = std::strtoul(spec.option("batch").c_str(), nullptr, 10);
  }
  return std::make_unique<DeliveryWorker>(spec, std::move(transport), std::move(spool), options);
}

Expected<std::vector<std::unique_ptr<DeliveryWorker>>> make_workers(const std::vector<OutputSpec>& specs,
                                                                    const SinkSettings& settings) {
  std::vector<std::unique_ptr<DeliveryWorker>> workers;
  for (const auto& spec : specs) {
    auto worker = make_worker(spec, settings);
    if (!worker) {
      return worker.error();
    }
    workers.push_back(std::move(*worker));
  }
  return workers;
}

}  // namespace privsentry
