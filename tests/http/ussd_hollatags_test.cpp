// HollaTags over HTTP against the real server: GET with session_* query parameters in,
// {session_operation, session_type, session_id, session_msg} out.
#include <catch2/catch.hpp>

#include "http/ussd_dialect_harness.hpp"

using namespace ussd_otp::testing;

USSD_DIALECT_TESTS(
    "hollatags", .wire = Wire::Query,
    .id_prefix = "54566576",  // HollaTags' docs type session_id as an integer
    .dial = "dial.query", .answer = "answer.query",
    // shortcut-in-msg also sends the MSISDN as %2B233...: the decoded '+' must survive.
    .shortcuts = {{"shortcut-in-from.query", {}}, {"shortcut-in-msg.query", {}}},
    .end_notices = {{"end.query", "released"}},
    .check_code_reply = [](const nlohmann::json& reply) { CHECK(reply["session_type"] == 4); },
    .bad_requests =
        [] {
          const std::string id = "session_id=5001";
          const std::string msisdn = "&session_msisdn=233241234567";
          const std::string query = id + msisdn + "&session_operation=";
          return std::vector<BadRequest>{
              {"session_operation=begin" + msisdn, {"session_id"}},
              {id + "&session_operation=begin", {"session_msisdn"}},
              {id + msisdn, {"session_operation"}},
              {query + "pause", {"session_operation"}},
              {query + "continue", {"session_msg"}},
              {query + "begin&session_type=9", {"session_type"}},
              {query + "continue&session_msg=" + std::string(2000, '1'), {"session_msg"}},
              {"session_id=" + std::string(300, '9') + msisdn + "&session_operation=begin",
               {"session_id"},
               "VALIDATION_ERROR",
               "Not a valid hollatags request: session_id must be at most 256 characters."},
              // In a query an empty value is a missing one.
              {"session_id=&session_operation=begin" + msisdn,
               {"session_id"},
               "VALIDATION_ERROR",
               "Not a valid hollatags request: session_id is required."}};
        })
