// POST/GET /delivery/<provider>[/<token>]: gateways' delivery reports, checked like the USSD
// callbacks (path token, IP allow-list) before the provider's parser sees them.
#pragma once

#include "delivery/config.hpp"
#include "delivery/sms_sender.hpp"
#include "server/http/server.hpp"

namespace ussd_otp {

// Registers a receipt route for every provider of `sender` that accepts pushed receipts.
// Outside dev mode a provider without a path token, an allow-list or a signature of its own
// (Twilio, webhook) gets no route, and a warning says why.
void add_delivery_routes(HttpServer& server, SmsSender& sender, const DeliveryConfig& config,
                         bool dev_mode);

}  // namespace ussd_otp
