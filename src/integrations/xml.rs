//! The flat XML WeChat's callbacks carry (`<xml><Field>…</Field>…</xml>`).

use std::collections::BTreeMap;

/// Top-level child elements of an XML document, as text. Refuses DTDs.
pub fn flat_xml(xml: &str) -> Option<BTreeMap<String, String>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = BTreeMap::new();
    let (mut depth, mut current): (usize, Option<String>) = (0, None);
    loop {
        match reader.read_event().ok()? {
            Event::DocType(_) => return None,
            Event::Start(e) => {
                depth += 1;
                if depth == 2 {
                    current = Some(String::from_utf8_lossy(e.name().as_ref()).into_owned());
                }
            }
            Event::End(_) => {
                if depth == 2 {
                    current = None;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) if depth == 2 => {
                let text = t.unescape().ok()?.into_owned();
                if let Some(name) = &current {
                    out.entry(name.clone()).or_insert_with(String::new).push_str(&text);
                }
            }
            Event::CData(t) if depth == 2 => {
                if let Some(name) = &current {
                    out.entry(name.clone()).or_insert_with(String::new).push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Some(out)
}
