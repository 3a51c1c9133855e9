//! Message bodies are Markdown (a subset: bold, italic, strike, inline and fenced code, quotes,
//! lists, links; the client renders it and never raw HTML). Search reads them as the text a
//! person sees: this is the one place that turns a body into that text, for both indexes and
//! the snippets.

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

/// What search needs of a body: its plain text and whether it links to the web.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyText {
    /// Markdown stripped: markers and `>`/list bullets gone; words, code, link text and the
    /// link's URL kept; raw HTML kept as the text typed (the client shows it that way).
    pub plain: String,
    /// An http(s) link a person can click: a Markdown link, an autolink or a bare URL.
    pub has_link: bool,
}

fn options() -> Options {
    Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS | Options::ENABLE_TABLES
}

fn web_host(text: &str) -> Option<&str> {
    let scheme_end = text.find("://")?;
    matches!(text[..scheme_end].to_ascii_lowercase().as_str(), "http" | "https").then(|| &text[scheme_end + 3..])
}

fn is_web_url(url: &str) -> bool {
    web_host(url.trim_start()).is_some()
}

/// A bare URL the client turns into a link (GFM's autolink literals: `http(s)://` or `www.`).
fn has_bare_url(text: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || matches!(c, '(' | '<' | '[')).any(|word| {
        let host =
            web_host(word).or_else(|| word.get(..4).filter(|w| w.eq_ignore_ascii_case("www.")).map(|_| &word[4..]));
        host.and_then(|h| h.chars().next()).is_some_and(char::is_alphanumeric)
    })
}

/// The plain text of a Markdown body and whether it holds a web link.
pub fn body_text(body: &str) -> BodyText {
    let mut plain = String::with_capacity(body.len());
    let mut has_link = false;
    // The URL of each open link, printed after its text unless the text already is the URL.
    let mut links: Vec<(String, usize)> = Vec::new();
    let mut in_code_block = false;
    let separate = |plain: &mut String| {
        if !plain.is_empty() && !plain.ends_with('\n') {
            plain.push('\n');
        }
    };
    for event in Parser::new_ext(body, options()) {
        match event {
            Event::Text(text) => {
                if !in_code_block && links.is_empty() && has_bare_url(&text) {
                    has_link = true;
                }
                plain.push_str(&text);
            }
            Event::Code(text) | Event::InlineHtml(text) | Event::Html(text) => plain.push_str(&text),
            Event::InlineMath(text) | Event::DisplayMath(text) => plain.push_str(&text),
            Event::FootnoteReference(label) => plain.push_str(&label),
            Event::SoftBreak | Event::HardBreak => plain.push('\n'),
            Event::TaskListMarker(_) | Event::Rule => {}
            Event::Start(Tag::Link { dest_url, link_type, .. }) => {
                if is_web_url(&dest_url) {
                    has_link = true;
                }
                let url = match link_type {
                    LinkType::Email => String::new(),
                    _ => dest_url.into_string(),
                };
                links.push((url, plain.len()));
            }
            Event::Start(Tag::Image { dest_url, .. }) => links.push((dest_url.into_string(), plain.len())),
            Event::End(TagEnd::Link | TagEnd::Image) => {
                if let Some((url, start)) = links.pop() {
                    if !url.is_empty() && plain.get(start..).is_some_and(|text| text.trim() != url) {
                        plain.push(' ');
                        plain.push_str(&url);
                    }
                }
            }
            Event::Start(Tag::CodeBlock(_)) => {
                in_code_block = true;
                separate(&mut plain);
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                separate(&mut plain);
            }
            Event::Start(Tag::TableCell) => {
                if !plain.is_empty() && !plain.ends_with(['\n', ' ']) {
                    plain.push(' ');
                }
            }
            Event::Start(_) => {}
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::BlockQuote(_)
                | TagEnd::Item
                | TagEnd::List(_)
                | TagEnd::HtmlBlock
                | TagEnd::TableHead
                | TagEnd::TableRow
                | TagEnd::FootnoteDefinition,
            ) => separate(&mut plain),
            Event::End(_) => {}
        }
    }
    let plain = plain.trim_end().to_owned();
    BodyText { plain, has_link }
}

/// The plain text of a Markdown body (see `BodyText::plain`).
pub fn plain_text(body: &str) -> String {
    body_text(body).plain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_goes_and_words_stay() {
        assert_eq!(plain_text("**bold** _it_ ~~gone~~ `x < y`"), "bold it gone x < y");
        assert_eq!(plain_text("> quoted\n> more"), "quoted\nmore");
        assert_eq!(plain_text("- one\n- two\n\n1. three"), "one\ntwo\nthree");
        assert_eq!(plain_text("```rust\nfn main() {}\n```\nafter"), "fn main() {}\nafter");
        assert_eq!(plain_text("- [x] done"), "done");
        assert_eq!(plain_text("# Title\n\ntext"), "Title\ntext");
        assert_eq!(plain_text(r"\*not bold\* &amp;"), "*not bold* &");
        assert_eq!(plain_text("| a | b |\n| - | - |\n| 1 | 2 |"), "a b\n1 2");
    }

    #[test]
    fn links_keep_their_text_and_url() {
        assert_eq!(
            plain_text("see [the docs](https://example.com/docs) now"),
            "see the docs https://example.com/docs now"
        );
        assert_eq!(plain_text("<https://example.com>"), "https://example.com");
        assert_eq!(plain_text("<a@example.com>"), "a@example.com");
        assert_eq!(plain_text("![cat](https://example.com/cat.png)"), "cat https://example.com/cat.png");
    }

    #[test]
    fn raw_html_is_text() {
        assert_eq!(plain_text("<b>hi</b> <script>alert(1)</script>"), "<b>hi</b> <script>alert(1)</script>");
    }

    #[test]
    fn web_links_are_told_apart() {
        for body in [
            "[x](https://example.com)",
            "<http://example.com>",
            "go to https://example.com/a?b=c now",
            "(see www.example.com)",
            "**[bold link](HTTPS://EXAMPLE.COM)**",
        ] {
            assert!(body_text(body).has_link, "{body}");
        }
        for body in [
            "no link here",
            "[x](javascript:alert(1))",
            "[x](mailto:a@example.com)",
            "`https://example.com` in code",
            "```\nhttps://example.com\n```",
            "http:// alone",
            "the word www",
        ] {
            assert!(!body_text(body).has_link, "{body}");
        }
    }

    #[test]
    fn hostile_nesting_neither_overflows_nor_loses_text() {
        let quotes = ">".repeat(40_000) + " deep";
        assert_eq!(plain_text(&quotes), "deep");
        let emphasis = "**_".repeat(6_000) + "x" + &"_**".repeat(6_000);
        assert!(plain_text(&emphasis).contains('x'));
        let brackets = "[".repeat(40_000);
        assert_eq!(plain_text(&brackets), brackets);
        let lists = "- ".repeat(20_000) + "item";
        assert_eq!(plain_text(&lists), "item");
    }
}
