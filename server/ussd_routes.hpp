// POST /ussd/<dialect>[/<token>] (GET for HollaTags): callback security, then dialect -> gateway.
#pragma once

#include <memory>
#include <vector>

#include "server/config.hpp"
#include "server/http_server.hpp"
#include "server/ussd_dialect.hpp"
#include "server/ussd_gateway.hpp"

namespace ussd_otp {

// Whether a dialect answers: "true"/"false", or "auto" = on in dev mode or when its callbacks
// are protected by a path token or an allow-list.
bool dialect_enabled(const UssdDialectConfig& config, bool dev_mode);

// Registers the routes of every enabled dialect. `dialects` must outlive the server.
void add_ussd_routes(HttpServer& server, UssdGateway& gateway, const UssdConfig& config,
                     bool dev_mode, const std::vector<std::unique_ptr<UssdDialect>>& dialects);

}  // namespace ussd_otp
