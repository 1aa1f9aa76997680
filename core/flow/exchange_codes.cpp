#include "flow/exchange_codes.hpp"

#include "flow/sealed_records.hpp"

namespace oidcore::flow {

Error create_exchange_code(store::Store& store, std::string_view payload, std::string& code,
                           const ExchangeCodeOptions& options) {
  code.clear();
  if (payload.size() > kMaxExchangePayloadBytes)
    return Error(Status::too_large,
                 "the payload is larger than " + std::to_string(kMaxExchangePayloadBytes) + " bytes");
  std::optional<std::string_view> binding;
  if (options.binding) binding = *options.binding;
  return seal_new_record(store, RecordKind::exchange_code, payload, binding, options.ttl_seconds, code);
}

Error redeem_exchange_code(store::Store& store, std::string_view code, std::optional<std::string_view> binding,
                           std::string& payload) {
  return open_taken_record(store, RecordKind::exchange_code, code, binding, payload);
}

}  // namespace oidcore::flow
