//! Sensitive-word matching (ARC-7): all of a corp's enabled rules in one
//! Aho-Corasick automaton, cached per corp until the rules change. A hit is
//! a whole word found exactly: in Chinese any occurrence, and for words that
//! begin or end with a Latin letter or digit, only where no other letter or
//! digit touches it ("ok" does not hit "book").

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use aho_corasick::AhoCorasick;

/// A rule's words, separated by the full-width comma.
pub fn split_words(words: &str) -> Vec<String> {
    words.split('，').map(str::trim).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// All enabled rules of a corp in one automaton.
pub struct Matcher {
    automaton: Option<AhoCorasick>,
    /// Pattern index → (rule, word).
    words: Vec<(i64, String)>,
}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

impl Matcher {
    pub fn build(rules: &[(i64, String)]) -> Matcher {
        let words: Vec<(i64, String)> = rules.iter().flat_map(|(id, w)| split_words(w).into_iter().map(move |w| (*id, w))).collect();
        let automaton = if words.is_empty() { None } else { AhoCorasick::new(words.iter().map(|(_, w)| w.as_str())).ok() };
        Matcher { automaton, words }
    }

    /// (rule, word) pairs found in `text`, each rule once with its first word.
    pub fn hits(&self, text: &str) -> Vec<(i64, String)> {
        let Some(ac) = &self.automaton else { return vec![] };
        let mut out: Vec<(i64, String)> = Vec::new();
        for m in ac.find_overlapping_iter(text) {
            let (rule, word) = &self.words[m.pattern().as_usize()];
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            let first = word.chars().next().is_some_and(word_char);
            let last = word.chars().next_back().is_some_and(word_char);
            if (first && before.is_some_and(word_char)) || (last && after.is_some_and(word_char)) {
                continue;
            }
            if !out.iter().any(|(r, _)| r == rule) {
                out.push((*rule, word.clone()));
            }
        }
        out
    }
}

/// Each corp's automaton, kept until its rules change.
#[derive(Clone, Default)]
pub struct Matchers(Arc<Mutex<HashMap<i64, Versioned>>>);

/// An automaton and the digest of the rules it was built from.
type Versioned = (u64, Arc<Matcher>);

impl Matchers {
    /// The corp's automaton over `rules` (rule id, words), built only when
    /// the rules differ from those of the cached one.
    pub fn get_or_build(&self, corp_id: i64, rules: &[(i64, String)]) -> Arc<Matcher> {
        let version = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            rules.hash(&mut h);
            h.finish()
        };
        // A panic elsewhere while holding the lock leaves a valid map behind.
        let mut cache = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((v, m)) = cache.get(&corp_id) {
            if *v == version {
                return m.clone();
            }
        }
        let m = Arc::new(Matcher::build(rules));
        cache.insert(corp_id, (version, m.clone()));
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_automaton_finds_every_rule_and_respects_latin_word_edges() {
        let m = Matcher::build(&[(1, "返现，私下转账".into()), (2, "ok，加微信".into()), (3, "".into())]);
        assert_eq!(m.hits("可以私下转账给你"), vec![(1, "私下转账".to_string())]);
        let both = m.hits("返现可以, ok 吗? 加微信");
        assert_eq!(both.iter().map(|(r, _)| *r).collect::<Vec<_>>(), vec![1, 2]);
        assert!(m.hits("this book is good").is_empty(), "ok inside a Latin word is no hit");
        assert!(m.hits("正常聊天").is_empty());
        assert!(Matcher::build(&[]).hits("返现").is_empty());
    }
}
