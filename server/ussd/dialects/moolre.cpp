// Moolre (Ghana): JSON {sessionid, new, msisdn, network, message, extension, data} in, JSON
// {sessionid, message, reply} out (reply: true = continue, false = end). Codes are issued as
// *203*<extension>#; digits dialled after it ("*203*109*11005#") arrive separately in `data`.
//
// Unverified in the reference (shared/reference/ussd-aggregators.md §5.1, §7.6), parsed
// defensively:
// - The response fields: the doc's JSON samples were not captured. We send `message` and `reply`
//   (both in the doc's parameter table) and echo `sessionid`.
// - network and extension are ints in the doc; strings are accepted too.
// - The msisdn format is not shown (assumed 233...; the gateway normalises any form).
// - `message` on the first request is undocumented. When `data` carries pre-filled digits, they
//   are used and `message` is ignored on Begin (so a forwarded dial string cannot add them twice);
//   otherwise a `message` that looks like a dial string ("*203*109*0241234567#") is split here.
// - `data` is split on '*' ("0241234567" or "1*0241234567") into pre-filled answers.
// - The service code is rebuilt as *203*<extension># when an extension is sent, so
//   ussd-moolre-service-code can be set to e.g. *203*109#; without one it stays empty.
// - No timeout or end notification is documented: sessions end by our final screen or idle.
#include "menus/dial_string.hpp"
#include "server/ussd/dialects/table.hpp"

namespace ussd_otp {
namespace {

// The service code from `extension`, and the pre-filled digits from `data` (or from a forwarded
// dial string in `message`) on the first request.
void moolre_digits(const FieldValues& values, DialectRequest& request, FieldProblems&) {
  UssdRequest& ussd = request.ussd;
  const std::string& extension = values["extension"].text;
  if (!extension.empty()) ussd.service_code = "*203*" + extension + "#";
  if (ussd.phase != UssdPhase::Begin) return;
  // "11005", "1*0241234567" (or with a stray leading '*' / trailing '#') -> its segments.
  ussd.prefilled = dial_segments(values["data"].text);
  if (ussd.prefilled.empty() && !extension.empty() && looks_like_dial_string(ussd.input)) {
    // A forwarded "*203*109*0241234567#": take the extras after our own code here, since
    // *203*<extension># is usually not one of ussd-service-codes.
    const auto typed = dial_segments(ussd.input);
    if (typed.size() > 2 && typed[0] == "203" && typed[1] == extension) {
      ussd.prefilled.assign(typed.begin() + 2, typed.end());
    }
  }
  if (!ussd.prefilled.empty()) ussd.input.clear();
}

}  // namespace

std::unique_ptr<UssdDialect> make_moolre_dialect(std::string_view name) {
  return make_table_dialect(
      name,
      {
          .fields = {id_field("sessionid", Fills::SessionId).echoed(), new_session_flag("new"),
                     id_field("msisdn", Fills::Msisdn), optional_field("network", Fills::Network),
                     input_field("message"), optional_field("extension").limited_to(32),
                     optional_field("data").limited_to(kMaxUssdInput)},
          .reply = {"/message", {{"reply", true}}, {{"reply", false}}},
          .adjust = moolre_digits,
      });
}

}  // namespace ussd_otp
