#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "output/output_spec.hpp"
#include "output/tcp_stream.hpp"
#include "output/transport.hpp"
#include "sinks/record_format.hpp"

typedef void CURL;
struct curl_slist;

namespace privsentry {

// Batches over HTTP(S) with libcurl, one POST per batch, the connection kept:
//   hec      Splunk HEC /services/collector/event, Authorization: Splunk <token>
//   elastic  Elasticsearch /_bulk with "create" and _id = the record id, so a
//            record delivered twice is stored once (409 counts as delivered)
//   webhook  a JSON array of records to the given path
// TLS verification is on unless the sink says insecure=true.
class HttpTransport final : public Transport {
 public:
  HttpTransport(const OutputSpec& spec, std::string token, TlsOptions tls, RecordFormatter formatter);
  ~HttpTransport() override;
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  DeliveryResult deliver(const std::vector<std::shared_ptr<const nlohmann::json>>& records) override;
  void reopen() override;

 private:
  std::string body(const std::vector<std::shared_ptr<const nlohmann::json>>& records) const;
  void setup_handle();

  OutputSpec spec_;
  std::string token_;
  TlsOptions tls_;
  RecordFormatter formatter_;
  std::string url_;
  std::string connect_to_;
  CURL* curl_ = nullptr;
  curl_slist* headers_ = nullptr;
  curl_slist* connect_to_list_ = nullptr;
};

}  // namespace privsentry
