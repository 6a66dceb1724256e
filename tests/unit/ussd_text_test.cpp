// Screen measuring (GSM-7 vs UCS-2), dial strings and callback allow-lists.
#include <catch2/catch.hpp>

#include "menus/dial_string.hpp"
#include "otp/gsm7.hpp"
#include "server/http/cidr.hpp"

namespace ussd_otp {

TEST_CASE("sms segments: 160 GSM-7 septets in one, 153 per part, UCS-2 70 and 67", "[gsm7]") {
  CHECK(sms_segments(std::string(160, 'a')).segments == 1);
  CHECK(sms_segments(std::string(161, 'a')).segments == 2);
  CHECK(sms_segments(std::string(306, 'a')).segments == 2);
  CHECK(sms_segments(std::string(307, 'a')).segments == 3);
  CHECK(sms_segments(std::string(80, '{')).segments == 1);  // 160 septets
  CHECK(sms_segments(std::string(81, '{')).segments == 2);
  const SmsSegments ucs2 = sms_segments("\u2019" + std::string(69, 'a'));
  CHECK_FALSE(ucs2.gsm7);
  CHECK(ucs2.segments == 1);
  CHECK(sms_segments("\u2019" + std::string(70, 'a')).segments == 2);
  // Seed 001's worry: a 480-character template in UCS-2 is 8 paid parts, not 1.
  CHECK(sms_segments("\u2019" + std::string(479, 'a')).segments == 8);
  CHECK(sms_segments("\U0001F600" + std::string(68, 'a')).segments == 1);  // 70 units
  CHECK(sms_segments("\U0001F600" + std::string(69, 'a')).segments == 2);
}

TEST_CASE("gsm7: ASCII and the GSM accents cost one septet each", "[gsm7]") {
  const ScreenMeasure plain = measure_screen("Your code is 482910.\n0 Back");
  CHECK(plain.gsm7);
  CHECK(plain.septets == plain.characters);
  CHECK(plain.characters == 27);
  const ScreenMeasure accents = measure_screen("numéro à Ñ £ Ø ¿");
  CHECK(accents.gsm7);
  CHECK(accents.characters == 16);
  CHECK(accents.septets == 16);
}

TEST_CASE("gsm7: extension characters cost two septets", "[gsm7]") {
  const ScreenMeasure m = measure_screen("[a]{b}€");
  CHECK(m.gsm7);
  CHECK(m.characters == 7);
  CHECK(m.septets == 12);
  CHECK(fits_screen("{}", 4));
  CHECK_FALSE(fits_screen("{}", 3));
}

TEST_CASE("gsm7: one character outside the alphabet forces UCS-2", "[gsm7]") {
  CHECK_FALSE(measure_screen("prêt").gsm7);  // ê is not in GSM-7
  CHECK_FALSE(measure_screen("smart ’quote’").gsm7);
  CHECK_FALSE(measure_screen("ok 👍").gsm7);
  CHECK_FALSE(measure_screen("back`tick").gsm7);
  CHECK_FALSE(fits_screen("prêt", 160));
}

TEST_CASE("gsm7: to_gsm7 replaces what GSM-7 lacks", "[gsm7]") {
  CHECK(to_gsm7("plain {text} é") == "plain {text} é");
  CHECK(to_gsm7("a`b ê \xFF") == "a?b ? ?");
  CHECK(measure_screen(to_gsm7("smart ’quote’ 👍")).gsm7);
}

TEST_CASE("gsm7: invalid UTF-8 is reported, never read past the end", "[gsm7]") {
  CHECK_FALSE(measure_screen("\xC3").valid_utf8);          // truncated
  CHECK_FALSE(measure_screen("\xE2\x82").valid_utf8);      // truncated
  CHECK_FALSE(measure_screen("\xC0\xAF").valid_utf8);      // overlong '/'
  CHECK_FALSE(measure_screen("\xED\xA0\x80").valid_utf8);  // surrogate
  CHECK_FALSE(measure_screen("\xFF").valid_utf8);
  CHECK(measure_screen("\xC3\xA9").valid_utf8);  // é
}

TEST_CASE("dial strings: segments and canonical codes", "[dial]") {
  CHECK(dial_segments("*889*142*0241234567#") ==
        std::vector<std::string>{"889", "142", "0241234567"});
  CHECK(dial_segments("713*2") == std::vector<std::string>{"713", "2"});
  CHECK(dial_segments(" *889# ") == std::vector<std::string>{"889"});
  CHECK(dial_segments("").empty());
  CHECK(dial_segments("#").empty());
  CHECK(canonical_service_code("889*142") == "*889*142#");
  CHECK(looks_like_dial_string("*889#"));
  CHECK(looks_like_dial_string("889#"));
  CHECK_FALSE(looks_like_dial_string("0241234567"));
}

TEST_CASE("dial strings: the longest configured code wins", "[dial]") {
  const std::vector<std::string> codes{"*889#", "*889*142#"};
  auto m = match_service_code(codes, "*889*142*0241234567#");
  REQUIRE(m);
  CHECK(m->service_code == "*889*142#");
  CHECK(m->prefilled == std::vector<std::string>{"0241234567"});
  m = match_service_code(codes, "*889*7#");
  REQUIRE(m);
  CHECK(m->service_code == "*889#");
  CHECK(m->prefilled == std::vector<std::string>{"7"});
  CHECK_FALSE(match_service_code(codes, "*123#"));
  CHECK_FALSE(match_service_code(codes, "*88#"));
}

TEST_CASE("cidr: IPv4 and IPv6 blocks", "[cidr]") {
  const auto blocks = parse_cidr_list("52.50.116.54/32, 10.0.0.0/8 2001:db8::/32,127.0.0.1");
  REQUIRE(blocks.size() == 4);
  CHECK(blocks[0].contains("52.50.116.54"));
  CHECK_FALSE(blocks[0].contains("52.50.116.55"));
  CHECK(blocks[1].contains("10.255.1.2"));
  CHECK_FALSE(blocks[1].contains("11.0.0.1"));
  CHECK(blocks[2].contains("2001:db8:1::5"));
  CHECK_FALSE(blocks[2].contains("2001:db9::1"));
  CHECK(blocks[3].contains("127.0.0.1"));
  CHECK(blocks[3].contains("::ffff:127.0.0.1"));  // IPv4-mapped peers
  CHECK_FALSE(blocks[1].contains("not an address"));
  CHECK_FALSE(blocks[2].contains("10.0.0.1"));
  const auto odd = CidrBlock::parse("192.168.1.128/25");
  REQUIRE(odd);
  CHECK(odd->contains("192.168.1.200"));
  CHECK_FALSE(odd->contains("192.168.1.100"));
}

TEST_CASE("cidr: bad blocks are refused", "[cidr]") {
  CHECK_FALSE(CidrBlock::parse("10.0.0.0/33"));
  CHECK_FALSE(CidrBlock::parse("10.0.0.0/"));
  CHECK_FALSE(CidrBlock::parse("10.0.0/8"));
  CHECK_FALSE(CidrBlock::parse("::/129"));
  CHECK_THROWS_WITH(parse_cidr_list("10.0.0.0/8, nope"), Catch::Contains("nope"));
  CHECK(parse_cidr_list("").empty());
}

}  // namespace ussd_otp
