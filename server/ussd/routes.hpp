// POST /ussd/<dialect>[/<token>] (GET for HollaTags): callback security, then dialect -> gateway.
#pragma once

#include <memory>
#include <vector>

#include "server/http/server.hpp"
#include "server/ussd/config.hpp"
#include "server/ussd/dialects/dialect.hpp"
#include "server/ussd/gateway.hpp"

namespace ussd_otp {

// Whether a dialect answers: "true"/"false", or "auto" = on in dev mode or when its callbacks
// are protected by a path token or an allow-list.
bool dialect_enabled(const UssdDialectConfig& config, bool dev_mode);

// Registers the routes of every enabled dialect. `dialects` must outlive the server.
void add_ussd_routes(HttpServer& server, UssdGateway& gateway, const UssdConfig& config,
                     bool dev_mode, const std::vector<std::unique_ptr<UssdDialect>>& dialects);

}  // namespace ussd_otp
