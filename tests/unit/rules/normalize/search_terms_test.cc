#include "rules/normalize/search_terms.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace vigil::rules {
namespace {

std::optional<SearchTerm> extract(std::string_view host, std::string_view target) {
  return extract_search_term(host, target, default_search_engines());
}

void expect_term(std::string_view host, std::string_view target, const std::string& engine,
                 const std::string& terms) {
  const auto t = extract(host, target);
  ASSERT_TRUE(t.has_value()) << host << target;
  EXPECT_EQ(t->engine, engine) << host << target;
  EXPECT_EQ(t->terms, terms) << host << target;
}

TEST(SearchTerms, Google) {
  expect_term("www.google.com", "/search?q=how+to+make+a+bomb", "google", "how to make a bomb");
  expect_term("google.co.uk", "/search?client=firefox&q=self%20harm&oq=self", "google",
              "self harm");
  expect_term("www.google.de", "/search?q=test", "google", "test");
  expect_term("www.google.com.au", "/complete/search?client=chrome&q=suic", "google", "suic");
}

TEST(SearchTerms, GoogleHostMustBeGoogle) {
  EXPECT_FALSE(extract("notgoogle.com", "/search?q=x"));
  EXPECT_FALSE(extract("google.evil.example.net", "/search?q=x"));
  EXPECT_FALSE(extract("google", "/search?q=x"));
  EXPECT_FALSE(extract("www.google.com", "/maps?q=x"));
  EXPECT_FALSE(extract("www.google.com", "/searchbyimage?q=x"));
}

TEST(SearchTerms, Bing) {
  expect_term("www.bing.com", "/search?q=vpn+free&form=QBLH", "bing", "vpn free");
  expect_term("www.bing.com", "/images/search?q=knife", "bing", "knife");
  EXPECT_FALSE(extract("notbing.com", "/search?q=x"));
}

TEST(SearchTerms, DuckDuckGoAnyPath) {
  expect_term("duckduckgo.com", "/?q=proxy+site&t=h_", "duckduckgo", "proxy site");
  expect_term("html.duckduckgo.com", "/html/?q=proxy", "duckduckgo", "proxy");
  expect_term("duckduckgo.com", "?q=bare", "duckduckgo", "bare");
}

TEST(SearchTerms, Yahoo) {
  expect_term("search.yahoo.com", "/search?p=casino&fr=yfp", "yahoo", "casino");
  expect_term("uk.search.yahoo.com", "/search?ei=UTF-8&p=poker", "yahoo", "poker");
  EXPECT_FALSE(extract("search.yahoo.com", "/search?q=not-yahoo-parameter"));
  EXPECT_FALSE(extract("www.yahoo.com", "/search?p=x"));
}

TEST(SearchTerms, YouTube) {
  expect_term("www.youtube.com", "/results?search_query=drill+music", "youtube", "drill music");
  expect_term("m.youtube.com", "/results?sp=EgIQAQ%3D%3D&search_query=fight", "youtube", "fight");
  EXPECT_FALSE(extract("www.youtube.com", "/watch?v=dQw4w9WgXcQ"));
}

TEST(SearchTerms, EcosiaYandexBaidu) {
  expect_term("www.ecosia.org", "/search?method=index&q=knife", "ecosia", "knife");
  expect_term("yandex.ru", "/search/?text=%D0%BD%D0%BE%D0%B6", "yandex",
              "\xD0\xBD\xD0\xBE\xD0\xB6");
  expect_term("yandex.com.tr", "/search?lr=1&text=bomba", "yandex", "bomba");
  expect_term("www.baidu.com", "/s?ie=utf-8&wd=%E7%82%B8%E5%BC%B9", "baidu",
              "\xE7\x82\xB8\xE5\xBC\xB9");
  EXPECT_FALSE(extract("www.baidu.com", "/sitemap?wd=x"));
}

TEST(SearchTerms, Utf8Terms) {
  // Arabic "قنبلة", Urdu "خودکشی", Polish "zażółć".
  expect_term("www.google.com", "/search?q=%D9%82%D9%86%D8%A8%D9%84%D8%A9", "google",
              "\xD9\x82\xD9\x86\xD8\xA8\xD9\x84\xD8\xA9");
  expect_term("www.bing.com", "/search?q=%D8%AE%D9%88%D8%AF%DA%A9%D8%B4%DB%8C", "bing",
              "\xD8\xAE\xD9\x88\xD8\xAF\xDA\xA9\xD8\xB4\xDB\x8C");
  expect_term("duckduckgo.com", "/?q=za%C5%BC%C3%B3%C5%82%C4%87+g%C4%99%C5%9Bl%C4%85", "duckduckgo",
              "za\xC5\xBC\xC3\xB3\xC5\x82\xC4\x87 g\xC4\x99\xC5\x9Bl\xC4\x85");
  // Raw UTF-8 as some clients send it.
  expect_term("www.google.com", "/search?q=za\xC5\xBC\xC3\xB3\xC5\x82\xC4\x87", "google",
              "za\xC5\xBC\xC3\xB3\xC5\x82\xC4\x87");
}

TEST(SearchTerms, AbsoluteFormTarget) {
  expect_term("", "http://www.google.com/search?q=abc", "google", "abc");
  expect_term("proxy.local", "HTTP://WWW.BING.COM:80/search?q=abc", "bing", "abc");
  expect_term("", "http://user@duckduckgo.com?q=abc", "duckduckgo", "abc");
  expect_term("", "https://www.youtube.com/results?search_query=abc", "youtube", "abc");
  // The authority in the target, not the Host header, names the site.
  EXPECT_FALSE(extract("www.google.com", "http://example.com/search?q=abc"));
  EXPECT_FALSE(extract("", "http://www.google.com"));
}

TEST(SearchTerms, HostWithPortOrCase) {
  expect_term("WWW.Google.COM:8080", "/search?q=abc", "google", "abc");
  expect_term("www.google.com.", "/search?q=abc", "google", "abc");
}

TEST(SearchTerms, RepeatedParametersFirstNonEmptyWins) {
  expect_term("www.google.com", "/search?q=first&q=second", "google", "first");
  expect_term("www.google.com", "/search?q=&q=second", "google", "second");
}

TEST(SearchTerms, ParameterOrderAndLookAlikeNames) {
  expect_term("www.google.com", "/search?aq=x&oq=y&qq=z&q=real", "google", "real");
  expect_term("www.google.com", "/search?%71=encoded-name", "google", "encoded-name");
  expect_term("www.google.com", "/search?flag&q=after-flag", "google", "after-flag");
}

TEST(SearchTerms, FragmentIgnored) {
  expect_term("www.google.com", "/search?q=real#q=fragment", "google", "real");
  EXPECT_FALSE(extract("www.google.com", "/webhp#q=fragment-only"));
  EXPECT_FALSE(extract("www.google.com", "/search#?q=x"));
}

TEST(SearchTerms, EmptyTermsAreNothing) {
  EXPECT_FALSE(extract("www.google.com", "/search?q="));
  EXPECT_FALSE(extract("www.google.com", "/search?q=+++"));
  EXPECT_FALSE(extract("www.google.com", "/search?q=%20%09"));
  EXPECT_FALSE(extract("www.google.com", "/search"));
  EXPECT_FALSE(extract("www.google.com", "/search?"));
  expect_term("www.google.com", "/search?q=+padded+", "google", "padded");
}

TEST(SearchTerms, InvalidEscapesKeptAsWritten) {
  expect_term("www.google.com", "/search?q=100%+sure%2", "google", "100% sure%2");
}

TEST(SearchTerms, ConfigurableTable) {
  const std::vector<SearchEngine> engines = {{"wiki", "wikipedia.org", "/w/index.php", "search"}};
  const auto t =
      extract_search_term("en.wikipedia.org", "/w/index.php?search=knife+crime", engines);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->engine, "wiki");
  EXPECT_EQ(t->terms, "knife crime");
  EXPECT_FALSE(extract_search_term("www.google.com", "/search?q=x", engines));
  EXPECT_FALSE(extract_search_term("www.google.com", "/search?q=x", {}));
}

TEST(SearchTerms, UnrelatedSitesAreNothing) {
  EXPECT_FALSE(extract("example.com", "/search?q=x"));
  EXPECT_FALSE(extract("", "/search?q=x"));
  EXPECT_FALSE(extract("", ""));
  EXPECT_FALSE(extract("", "*"));
}

}  // namespace
}  // namespace vigil::rules
