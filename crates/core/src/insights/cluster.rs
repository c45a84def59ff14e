//! Deterministic clustering of short customer questions: what do handoffs keep asking about?
//!
//! No network and no model: text is normalised (lowercase, Latin diacritics folded, numbers,
//! short tokens and stop words dropped, a light stemmer and a small synonym map), weighted with
//! TF-IDF (sublinear tf, L2-normalised sparse vectors) and grouped in three passes:
//!
//! 1. leader clustering over the documents in id order: a document joins the most similar
//!    centroid when the cosine reaches [`LEADER_THRESHOLD`], else it starts a new cluster;
//! 2. centroids whose (truncated) vectors are similar enough are merged ([`MERGE_THRESHOLD`]);
//! 3. every document is re-assigned to its best centroid, a few rounds, like k-means;
//!
//! and passes 2 and 3 repeat [`MERGE_ROUNDS`] times, since re-assigned clusters have new
//! centroids.
//!
//! Every step iterates in a fixed order and breaks ties by index, so the same input always gives
//! the same clusters. Candidate centroids come from an inverted index, so 10,000 questions take
//! milliseconds, not seconds.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// One text to cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: i64,
    pub text: String,
    /// Words that say what the text is about (a bot's topic): they count for grouping and for
    /// a group's label, but a lone document is labelled by its text alone.
    pub hint: Option<String>,
}

impl Document {
    fn words(&self) -> std::borrow::Cow<'_, str> {
        match self.hint.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
            Some(hint) => format!("{}\n{hint}", self.text).into(),
            None => self.text.as_str().into(),
        }
    }
}

/// A group of similar documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Cluster {
    /// A readable name: the cluster's strongest words in the order people write them.
    pub label: String,
    /// Ids of the documents, ascending.
    pub members: Vec<i64>,
    /// The member closest to the centroid.
    pub representative: i64,
    /// The strongest words of the centroid, strongest first (as customers spelled them).
    pub top_terms: Vec<String>,
}

/// Label of the cluster of documents without a single meaningful word ("hi", "human!!").
pub const NO_DETAILS_LABEL: &str = "(no details)";

/// Cosine a document needs to join an existing cluster in the first pass.
const LEADER_THRESHOLD: f64 = 0.2;
/// Cosine at which two centroids are merged.
const MERGE_THRESHOLD: f64 = 0.3;
/// Merge-and-reassign rounds: merged clusters have new centroids, which may merge again.
const MERGE_ROUNDS: usize = 3;
/// Terms kept per centroid when comparing (the tail is noise).
const CENTROID_TERMS: usize = 24;
/// Cosine a lone document needs to join a larger cluster when re-assigned.
const ATTACH_THRESHOLD: f64 = 0.25;
/// Re-assignment rounds after the merge.
const REFINE_ROUNDS: usize = 3;
/// Characters of a label made from a single document.
const LABEL_CHARS: usize = 60;

const STOP_WORDS: &[&str] = &[
    // English
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "already",
    "and",
    "any",
    "are",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "cant",
    "did",
    "didnt",
    "does",
    "doesnt",
    "doing",
    "done",
    "dont",
    "down",
    "during",
    "each",
    "even",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "further",
    "get",
    "getting",
    "got",
    "had",
    "has",
    "have",
    "having",
    "her",
    "here",
    "hers",
    "him",
    "his",
    "how",
    "ive",
    "into",
    "its",
    "just",
    "know",
    "like",
    "made",
    "make",
    "many",
    "more",
    "most",
    "much",
    "must",
    "myself",
    "nor",
    "not",
    "now",
    "off",
    "once",
    "one",
    "only",
    "other",
    "our",
    "ours",
    "out",
    "over",
    "own",
    "same",
    "say",
    "says",
    "see",
    "she",
    "should",
    "since",
    "some",
    "still",
    "such",
    "than",
    "that",
    "thats",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "thing",
    "this",
    "those",
    "through",
    "too",
    "under",
    "until",
    "use",
    "very",
    "was",
    "wasnt",
    "way",
    "were",
    "what",
    "whats",
    "when",
    "where",
    "wheres",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "won",
    "wont",
    "you",
    "your",
    "yours",
    "yourself",
    "yet",
    "isnt",
    "arent",
    "im",
    "ill",
    "lol",
    "its",
    "let",
    "lets",
    "really",
    "something",
    "anything",
    "everything",
    "way",
    "tell",
    "today",
    "yes",
    "okay",
    "ok",
    "hmm",
    "ugh",
    "guys",
    "whole",
    // what is left of contractions split at the apostrophe
    "hasn",
    "haven",
    "doesn",
    "didn",
    "wasn",
    "isn",
    "aren",
    "couldn",
    "wouldn",
    "shouldn",
    "weren",
    "don",
    // support filler
    "hi",
    "hello",
    "hey",
    "hiya",
    "please",
    "pls",
    "plz",
    "thanks",
    "thank",
    "thx",
    "human",
    "humans",
    "agent",
    "agents",
    "person",
    "people",
    "someone",
    "anyone",
    "real",
    "live",
    "representative",
    "operator",
    "support",
    "want",
    "wanted",
    "need",
    "needs",
    "can",
    "could",
    "would",
    "help",
    "talk",
    "speak",
    "chat",
    "bot",
    "urgent",
    "asap",
    "question",
    "questions",
    "issue",
    "problem",
    "trying",
    "try",
    "tried",
    "again",
    "team",
    "good",
    "morning",
    "afternoon",
    "evening",
    "sorry",
    "quick",
    // durations and retries: "for 12 days", "5 times" say how long or how often, not what about
    "day",
    "days",
    "week",
    "weeks",
    "hour",
    "hours",
    "minute",
    "minutes",
    "time",
    "times",
    "ago",
    "yesterday",
    "tomorrow",
    "supposed",
    "take",
    "takes",
    "took",
    "keep",
    "keeps",
];

/// Words that mean the same for our purpose, by raw word or by stem.
const SYNONYMS: &[(&str, &str)] = &[
    ("yearly", "annual"),
    ("annually", "annual"),
    ("annual", "annual"),
    ("anual", "annual"),
    ("anually", "annual"),
    ("year", "annual"),
    ("signin", "login"),
    ("logon", "login"),
    ("log", "login"),
    ("login", "login"),
    ("bill", "bill"),
    ("billed", "bill"),
    ("billing", "bill"),
    ("refunded", "refund"),
    ("refunds", "refund"),
    ("cancell", "cancel"),
    ("cancellation", "cancel"),
    ("cancelation", "cancel"),
];

/// How a synonym group's word reads in a label.
fn display_word(stem: &str) -> Option<&'static str> {
    match stem {
        "annual" => Some("annual"),
        "login" => Some("login"),
        "bill" => Some("billing"),
        "refund" => Some("refund"),
        "cancel" => Some("cancel"),
        _ => None,
    }
}

/// Whether two label words are forms of one word: one starts with the other, or they share
/// their first five letters ("delete" / "deletion").
fn same_word(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    let shared = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    a.starts_with(&b) || b.starts_with(&a) || shared >= 5
}

fn stop_words() -> &'static std::collections::HashSet<&'static str> {
    static SET: OnceLock<std::collections::HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.iter().copied().collect())
}

fn synonym(word: &str) -> Option<&'static str> {
    SYNONYMS.iter().find(|(from, _)| *from == word).map(|(_, to)| *to)
}

/// Common Latin letters with diacritics, folded to ASCII; `None` keeps the character.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
        'ł' | 'ľ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ř' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ß' => "ss",
        'ť' | 'ţ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

/// "shipp" → "ship"; but "bill", "pass", "buzz" keep their double letter.
fn undouble(word: &mut String) {
    let bytes = word.as_bytes();
    let n = bytes.len();
    if n >= 4
        && bytes[n - 1] == bytes[n - 2]
        && bytes[n - 1].is_ascii_lowercase()
        && !is_vowel(bytes[n - 1])
        && !matches!(bytes[n - 1], b'l' | b's' | b'z')
    {
        word.pop();
    }
}

/// A light suffix stemmer: plurals, -ing, -ed, -ly and a final silent e, so "charge",
/// "charged", "charges" and "charging" meet at "charg".
fn stem(word: &str) -> String {
    let mut s = word.to_string();
    let has_vowel = |s: &str| s.bytes().any(is_vowel);
    if s.len() > 4 && s.ends_with("ies") {
        s.truncate(s.len() - 3);
        s.push('y');
    } else if s.ends_with("sses") || (s.len() > 4 && ["ches", "shes", "xes", "zes"].iter().any(|e| s.ends_with(e))) {
        s.truncate(s.len() - 2);
    } else if s.len() > 3 && s.ends_with('s') && !["ss", "us", "is"].iter().any(|e| s.ends_with(e)) {
        s.pop();
    }
    if s.len() > 5 && s.ends_with("ing") && has_vowel(&s[..s.len() - 3]) {
        s.truncate(s.len() - 3);
        undouble(&mut s);
    } else if s.len() > 4 && s.ends_with("ed") && !s.ends_with("eed") && has_vowel(&s[..s.len() - 2]) {
        s.truncate(s.len() - 2);
        undouble(&mut s);
    } else if s.len() > 5 && s.ends_with("ly") {
        s.truncate(s.len() - 2);
    }
    if s.len() > 4 && s.ends_with('e') {
        s.pop();
    }
    s
}

/// One meaningful word of a text: its stem and how it was written (folded, lowercase).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub stem: String,
    pub surface: String,
}

/// The meaningful words of a text, in order.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match fold(c) {
            Some(ascii) => folded.push_str(ascii),
            None => folded.push(c),
        }
    }
    let stops = stop_words();
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter_map(|word| {
            let letters = word.chars().filter(|c| c.is_alphabetic()).count();
            let digits = word.chars().filter(|c| c.is_numeric()).count();
            // Numbers and order-number-like words say nothing about the topic.
            if letters == 0 || digits > letters || word.chars().count() < 3 || stops.contains(word) {
                return None;
            }
            let stem = match synonym(word) {
                Some(canonical) => canonical.to_string(),
                None => {
                    let stemmed = stem(word);
                    synonym(&stemmed).map(str::to_string).unwrap_or(stemmed)
                }
            };
            if stem.chars().count() < 3 || stops.contains(stem.as_str()) {
                return None;
            }
            Some(Token { stem, surface: word.to_string() })
        })
        .collect()
}

/// Sparse vector: (term id, weight), sorted by term id.
type Sparse = Vec<(u32, f64)>;

fn normalize(vector: &mut Sparse) {
    let norm = vector.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|(_, w)| *w /= norm);
    }
}

/// TF-IDF vectors of texts, plus the vocabulary.
pub(crate) struct Vectors {
    pub vectors: Vec<Sparse>,
    pub tokens: Vec<Vec<Token>>,
    pub terms: Vec<String>,
}

/// Vectorises texts in the given order (term ids follow first appearance, so the result only
/// depends on the order of `texts`).
pub(crate) fn vectorize<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vectors {
    let tokens: Vec<Vec<Token>> = texts.into_iter().map(tokenize).collect();
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut terms: Vec<String> = Vec::new();
    let mut df: Vec<u32> = Vec::new();
    let counts: Vec<Vec<(u32, u32)>> = tokens
        .iter()
        .map(|doc| {
            let mut tf: Vec<(u32, u32)> = Vec::new();
            for token in doc {
                let id = *ids.entry(token.stem.clone()).or_insert_with(|| {
                    terms.push(token.stem.clone());
                    df.push(0);
                    (terms.len() - 1) as u32
                });
                match tf.iter_mut().find(|(t, _)| *t == id) {
                    Some((_, n)) => *n += 1,
                    None => tf.push((id, 1)),
                }
            }
            tf.sort_unstable();
            for (t, _) in &tf {
                df[*t as usize] += 1;
            }
            tf
        })
        .collect();
    let n = counts.len() as f64;
    let vectors = counts
        .into_iter()
        .map(|tf| {
            let mut v: Sparse = tf
                .into_iter()
                .map(|(t, c)| {
                    let idf = ((1.0 + n) / (1.0 + df[t as usize] as f64)).ln() + 1.0;
                    (t, (1.0 + (c as f64).ln()) * idf)
                })
                .collect();
            normalize(&mut v);
            v
        })
        .collect();
    Vectors { vectors, tokens, terms }
}

/// The sum of member vectors, as a sparse vector sorted by term id.
fn sum_of(members: &[usize], vectors: &[Sparse]) -> Sparse {
    let mut sum: HashMap<u32, f64> = HashMap::new();
    for &m in members {
        for &(t, w) in &vectors[m] {
            *sum.entry(t).or_insert(0.0) += w;
        }
    }
    let mut sum: Sparse = sum.into_iter().collect();
    sum.sort_unstable_by_key(|(t, _)| *t);
    sum
}

/// The strongest `CENTROID_TERMS` terms of a summed vector, L2-normalised, sorted by term id.
fn truncated(mut sum: Sparse) -> Sparse {
    sum.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    sum.truncate(CENTROID_TERMS);
    sum.sort_unstable_by_key(|(t, _)| *t);
    normalize(&mut sum);
    sum
}

fn dot(a: &Sparse, b: &Sparse) -> f64 {
    let (mut i, mut j, mut total) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                total += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    total
}

/// Dot products of `vector` with every indexed centroid sharing a term; `scores` is scratch
/// space as long as the centroid list, left zeroed; returns the touched centroids.
fn scores_for(
    vector: &Sparse,
    postings: &[Vec<(usize, f64)>],
    scores: &mut [f64],
    touched: &mut Vec<usize>,
) -> Vec<(usize, f64)> {
    touched.clear();
    for &(t, w) in vector {
        for &(c, cw) in &postings[t as usize] {
            if scores[c] == 0.0 {
                touched.push(c);
            }
            scores[c] += w * cw;
        }
    }
    touched.sort_unstable();
    touched.dedup();
    touched
        .iter()
        .map(|&c| {
            let s = scores[c];
            scores[c] = 0.0;
            (c, s)
        })
        .collect()
}

/// Inverted index of normalised centroids: term → (centroid, weight).
fn index(centroids: &[Sparse], terms: usize) -> Vec<Vec<(usize, f64)>> {
    let mut postings = vec![Vec::new(); terms];
    for (c, centroid) in centroids.iter().enumerate() {
        for &(t, w) in centroid {
            postings[t as usize].push((c, w));
        }
    }
    postings
}

/// Pass 1: leader clustering in the given order.
fn leader(order: &[usize], vectors: &[Sparse], terms: usize) -> Vec<Vec<usize>> {
    let mut sums: Vec<HashMap<u32, f64>> = Vec::new();
    let mut norms2: Vec<f64> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    // term → centroids whose sum has the term
    let mut postings: Vec<Vec<usize>> = vec![Vec::new(); terms];
    let mut scores: Vec<f64> = Vec::new();
    let mut touched: Vec<usize> = Vec::new();
    for &d in order {
        let vector = &vectors[d];
        touched.clear();
        for &(t, w) in vector {
            for &c in &postings[t as usize] {
                if scores[c] == 0.0 {
                    touched.push(c);
                }
                scores[c] += w * sums[c][&t];
            }
        }
        touched.sort_unstable();
        touched.dedup();
        let mut best: Option<(usize, f64, f64)> = None;
        for &c in &touched {
            let raw = scores[c];
            scores[c] = 0.0;
            let sim = raw / norms2[c].sqrt();
            if best.is_none_or(|(_, b, _)| sim > b) {
                best = Some((c, sim, raw));
            }
        }
        let c = match best {
            Some((c, sim, raw)) if sim >= LEADER_THRESHOLD => {
                norms2[c] += 2.0 * raw + 1.0;
                c
            }
            _ => {
                sums.push(HashMap::new());
                norms2.push(1.0);
                members.push(Vec::new());
                scores.push(0.0);
                sums.len() - 1
            }
        };
        for &(t, w) in vector {
            let entry = sums[c].entry(t).or_insert_with(|| {
                postings[t as usize].push(c);
                0.0
            });
            *entry += w;
        }
        members[c].push(d);
    }
    members
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Pass 2: merges clusters whose truncated centroids are similar.
fn merge(clusters: Vec<Vec<usize>>, vectors: &[Sparse], terms: usize) -> Vec<Vec<usize>> {
    let centroids: Vec<Sparse> = clusters.iter().map(|m| truncated(sum_of(m, vectors))).collect();
    let postings = index(&centroids, terms);
    let mut parent: Vec<usize> = (0..clusters.len()).collect();
    let mut scores = vec![0.0; clusters.len()];
    let mut touched = Vec::new();
    for (a, centroid) in centroids.iter().enumerate() {
        for (b, sim) in scores_for(centroid, &postings, &mut scores, &mut touched) {
            if b > a && sim >= MERGE_THRESHOLD {
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                if ra != rb {
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
    }
    let mut merged: Vec<Vec<usize>> = vec![Vec::new(); clusters.len()];
    for (c, members) in clusters.into_iter().enumerate() {
        let root = find(&mut parent, c);
        merged[root].extend(members);
    }
    merged.retain(|m| !m.is_empty());
    merged
}

/// Pass 3: every document to its best centroid, a few rounds. A document alone in its cluster
/// is always closest to itself: it moves to a larger cluster when similar enough to it.
fn refine(mut clusters: Vec<Vec<usize>>, vectors: &[Sparse], terms: usize) -> Vec<Vec<usize>> {
    for _ in 0..REFINE_ROUNDS {
        let centroids: Vec<Sparse> = clusters.iter().map(|m| truncated(sum_of(m, vectors))).collect();
        let postings = index(&centroids, terms);
        let mut scores = vec![0.0; clusters.len()];
        let mut touched = Vec::new();
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); clusters.len()];
        let mut moved = false;
        for (current, members) in clusters.iter().enumerate() {
            for &d in members {
                let candidates = scores_for(&vectors[d], &postings, &mut scores, &mut touched);
                let alone = members.len() == 1;
                let own = if alone {
                    ATTACH_THRESHOLD - 1e-9
                } else {
                    candidates.iter().find(|(c, _)| *c == current).map_or(0.0, |(_, s)| *s)
                };
                let mut best = (current, own);
                for (c, sim) in candidates {
                    // Lone documents only join larger clusters, so two of them never swap.
                    if sim > best.1 + 1e-12 && !(alone && clusters[c].len() < 2) {
                        best = (c, sim);
                    }
                }
                moved |= best.0 != current;
                next[best.0].push(d);
            }
        }
        next.retain(|m| !m.is_empty());
        next.iter_mut().for_each(|m| m.sort_unstable());
        clusters = next;
        if !moved {
            break;
        }
    }
    clusters
}

fn clip(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max.saturating_sub(1)).collect::<String>().trim_end())
    }
}

/// Label, representative and top terms of one cluster (member indices sorted by document id).
fn describe(members: &[usize], documents: &[Document], vectors: &Vectors) -> Cluster {
    let ids: Vec<i64> = members.iter().map(|&m| documents[m].id).collect();
    let sum = sum_of(members, &vectors.vectors);
    let mut centroid = sum.clone();
    normalize(&mut centroid);
    // The member closest to the centroid; ties to the lower id (members are in id order).
    let mut representative = (members[0], f64::MIN);
    for &m in members {
        let sim = dot(&vectors.vectors[m], &centroid);
        if sim > representative.1 + 1e-12 {
            representative = (m, sim);
        }
    }
    let mut ranked = sum;
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(vectors.terms[a.0 as usize].cmp(&vectors.terms[b.0 as usize])));
    // How each stem is most often written, and where in a question it tends to stand.
    let surface_and_position = |term: u32| -> (String, f64) {
        let stem = &vectors.terms[term as usize];
        let mut spellings: Vec<(&str, usize)> = Vec::new();
        let (mut position, mut seen) = (0.0, 0usize);
        for &m in members {
            let tokens = &vectors.tokens[m];
            if let Some(i) = tokens.iter().position(|t| &t.stem == stem) {
                position += i as f64 / tokens.len() as f64;
                seen += 1;
            }
            for token in tokens.iter().filter(|t| &t.stem == stem) {
                match spellings.iter_mut().find(|(s, _)| *s == token.surface) {
                    Some((_, n)) => *n += 1,
                    None => spellings.push((&token.surface, 1)),
                }
            }
        }
        spellings.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.len().cmp(&b.0.len())).then(a.0.cmp(b.0)));
        // Words gathered by a synonym ("yearly", "anual", "year") show as the word they mean.
        let surface = display_word(stem)
            .map(str::to_string)
            .or_else(|| spellings.first().map(|(s, _)| s.to_string()))
            .unwrap_or_else(|| stem.clone());
        (surface, if seen == 0 { 0.0 } else { position / seen as f64 })
    };
    let top_terms: Vec<String> = ranked.iter().take(5).map(|&(t, _)| surface_and_position(t).0).collect();
    let label = if members.len() == 1 {
        clip(&documents[members[0]].text, LABEL_CHARS)
    } else {
        let strongest = ranked.first().map_or(0.0, |(_, w)| *w);
        // In how many of the group's questions a term occurs: a label names what they share, so
        // a rarer word ("monthly" in "yearly instead of monthly") gives way to common ones.
        let share_of_members = |term: u32| -> f64 {
            let stem = &vectors.terms[term as usize];
            let with = members.iter().filter(|&&m| vectors.tokens[m].iter().any(|t| &t.stem == stem)).count();
            with as f64 / members.len() as f64
        };
        let candidates: Vec<(usize, u32, f64)> = ranked
            .iter()
            .take(5)
            .enumerate()
            .filter(|(_, (_, w))| *w >= 0.4 * strongest)
            .map(|(rank, &(t, _))| (rank, t, share_of_members(t)))
            .collect();
        let widest = candidates.iter().map(|c| c.2).fold(0.0, f64::max);
        let words: Vec<(String, f64, usize)> = candidates
            .into_iter()
            .filter(|(_, _, share)| *share >= 0.6 * widest)
            .take(3)
            .map(|(rank, t, _)| (rank, t))
            .map(|(rank, t)| {
                let (surface, position) = surface_and_position(t);
                (surface, position, rank)
            })
            .collect();
        // Two forms of one word ("delete", "deletion") say it once, in the stronger form.
        let mut kept: Vec<(String, f64, usize)> = Vec::new();
        for word in words {
            if !kept.iter().any(|k| same_word(&k.0, &word.0)) {
                kept.push(word);
            }
        }
        kept.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.2.cmp(&b.2)));
        kept.into_iter().map(|(w, _, _)| w).collect::<Vec<_>>().join(" ")
    };
    Cluster { label, members: ids, representative: documents[representative.0].id, top_terms }
}

/// Groups documents by what they ask about. Every document lands in exactly one cluster
/// (singletons allowed; documents without a meaningful word share one [`NO_DETAILS_LABEL`]
/// cluster). Sorted by size, largest first, then by label, then by the first member.
pub fn cluster(documents: &[Document]) -> Vec<Cluster> {
    if documents.is_empty() {
        return Vec::new();
    }
    // Everything below works on indices of documents sorted by id (then text), so the input
    // order does not matter.
    let mut order: Vec<usize> = (0..documents.len()).collect();
    order.sort_by(|&a, &b| documents[a].id.cmp(&documents[b].id).then(documents[a].text.cmp(&documents[b].text)));
    let sorted: Vec<Document> = order.iter().map(|&i| documents[i].clone()).collect();
    let words: Vec<std::borrow::Cow<'_, str>> = sorted.iter().map(Document::words).collect();
    let vectors = vectorize(words.iter().map(|w| w.as_ref()));
    let terms = vectors.terms.len();
    let (with_words, empty): (Vec<usize>, Vec<usize>) =
        (0..sorted.len()).partition(|&i| !vectors.vectors[i].is_empty());

    let groups = leader(&with_words, &vectors.vectors, terms);
    let mut groups = groups;
    for _ in 0..MERGE_ROUNDS {
        groups = merge(groups, &vectors.vectors, terms);
        groups = refine(groups, &vectors.vectors, terms);
    }
    groups.iter_mut().for_each(|m| m.sort_unstable());

    let mut clusters: Vec<Cluster> = groups.iter().map(|m| describe(m, &sorted, &vectors)).collect();
    if !empty.is_empty() {
        clusters.push(no_details(empty.iter().map(|&i| sorted[i].id).collect()));
    }
    sort_clusters(&mut clusters);
    clusters
}

/// The group of documents without a meaningful word (`members`: ids ascending, not empty).
pub(crate) fn no_details(members: Vec<i64>) -> Cluster {
    Cluster { label: NO_DETAILS_LABEL.to_string(), representative: members[0], members, top_terms: Vec::new() }
}

/// Largest first, then by label, then by the first member.
pub(crate) fn sort_clusters(clusters: &mut [Cluster]) {
    clusters.sort_by(|a, b| {
        b.members.len().cmp(&a.members.len()).then(a.label.cmp(&b.label)).then(a.members.cmp(&b.members))
    });
}

/// Labels, representatives and top terms of groups formed some other way (by meaning):
/// `groups` holds indices into `documents` (sorted by id), each group's ascending and not empty.
pub(crate) fn describe_groups(documents: &[Document], groups: &[Vec<usize>]) -> Vec<Cluster> {
    let words: Vec<std::borrow::Cow<'_, str>> = documents.iter().map(Document::words).collect();
    let vectors = vectorize(words.iter().map(|w| w.as_ref()));
    groups.iter().filter(|g| !g.is_empty()).map(|members| describe(members, documents, &vectors)).collect()
}

/// Indices of `texts` from the most to the least typical: by cosine to the mean TF-IDF vector,
/// ties to the earlier text. Used to pick the answers that best speak for a group.
pub(crate) fn most_typical(texts: &[&str]) -> Vec<usize> {
    let vectors = vectorize(texts.iter().copied());
    let all: Vec<usize> = (0..texts.len()).collect();
    let mut centroid = sum_of(&all, &vectors.vectors);
    normalize(&mut centroid);
    let mut ranked: Vec<(usize, f64)> = all.iter().map(|&i| (i, dot(&vectors.vectors[i], &centroid))).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.into_iter().map(|(i, _)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(texts: &[&str]) -> Vec<Document> {
        texts.iter().enumerate().map(|(i, t)| Document { id: i as i64 + 1, text: t.to_string(), hint: None }).collect()
    }

    fn stems(text: &str) -> Vec<String> {
        tokenize(text).into_iter().map(|t| t.stem).collect()
    }

    #[test]
    fn normalisation_drops_filler_numbers_and_folds_words() {
        assert_eq!(stems("Hi!! HUMAN please, I need help"), Vec::<String>::new());
        assert_eq!(stems("Can I pay YEARLY? annually, annual"), ["pay", "annual", "annual", "annual"]);
        assert_eq!(stems("charged charges charging charge"), ["charg"; 4]);
        assert_eq!(stems("shipping shipped ships"), ["ship"; 3]);
        assert_eq!(stems("billing billed bill"), ["bill"; 3]);
        assert_eq!(stems("refunds refunded"), ["refund"; 2]);
        assert_eq!(stems("order #A-20931 for 129 dollars"), ["order", "dollar"]);
        assert_eq!(stems("Rückerstattung café"), ["ruckerstattung", "cafe"]);
        assert_eq!(stems("🙂🙂 refund??"), ["refund"]);
    }

    #[test]
    fn similar_questions_end_up_together() {
        let documents = docs(&[
            "Can I pay yearly instead of monthly?",
            "where is my refund",
            "how do I switch to annual billing",
            "refund still not received",
            "annual billing please",
            "my refund hasn't arrived",
            "hi",
        ]);
        let clusters = cluster(&documents);
        let of = |id: i64| clusters.iter().position(|c| c.members.contains(&id)).unwrap();
        assert_eq!(of(2), of(4));
        assert_eq!(of(2), of(6));
        assert_eq!(of(3), of(5));
        assert_ne!(of(2), of(3));
        assert_eq!(clusters[of(7)].label, NO_DETAILS_LABEL);
        let refund = &clusters[of(2)];
        assert_eq!(refund.label, "refund");
        assert!(refund.members.contains(&refund.representative));
    }

    #[test]
    fn every_document_is_in_exactly_one_cluster_and_the_output_is_deterministic() {
        let texts: Vec<String> = (0..400)
            .map(|i| {
                let topics = ["annual billing yearly plan", "refund status money back", "password reset login 2fa"];
                format!("{} {} case {i}", topics[i % 3], ["now", "today pls", "asap", "help"][i % 4])
            })
            .collect();
        let documents: Vec<Document> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Document { id: (i as i64 * 7919) % 1000, text: t.clone(), hint: None })
            .collect();
        let first = cluster(&documents);
        let mut ids: Vec<i64> = first.iter().flat_map(|c| c.members.clone()).collect();
        ids.sort_unstable();
        let mut expected: Vec<i64> = documents.iter().map(|d| d.id).collect();
        expected.sort_unstable();
        assert_eq!(ids, expected);
        // Same input → same output, and the input order does not matter.
        assert_eq!(cluster(&documents), first);
        let mut reversed = documents.clone();
        reversed.reverse();
        assert_eq!(cluster(&reversed), first);
        // Sorted by size, then label.
        assert!(first.windows(2).all(|w| w[0].members.len() >= w[1].members.len()));
        assert_eq!(first.len(), 3);
    }

    #[test]
    fn labels_are_readable() {
        let documents = docs(&[
            "I was charged twice",
            "charged twice for one order",
            "why was I charged twice this month",
            "double charge, charged twice!",
        ]);
        let clusters = cluster(&documents);
        assert_eq!(clusters.len(), 1);
        assert_eq!(clusters[0].label, "charged twice");
        assert_eq!(clusters[0].top_terms[..2], ["charged", "twice"]);
        let deletion = cluster(&docs(&[
            "please delete my account",
            "account deletion request",
            "delete the account and my data",
            "I want account deletion now",
        ]));
        assert_eq!(deletion.len(), 1);
        assert!(
            !deletion[0].label.contains("delet") || deletion[0].label.matches("delet").count() == 1,
            "{deletion:?}"
        );
        let yearly = cluster(&docs(&["can I pay yearly", "yearly payment option", "pay annually possible?"]));
        assert!(yearly[0].label.contains("annual") && !yearly[0].label.contains("yearly"), "{yearly:?}");
        let single = cluster(&docs(&["  A single   question about something rather long that goes on and on and on"]));
        assert_eq!(single[0].label, "A single question about something rather long that goes on…");
        assert!(cluster(&[]).is_empty());
    }

    #[test]
    fn hints_group_paraphrases_but_a_lone_text_keeps_its_own_label() {
        let hinted = |id: i64, text: &str, hint: &str| Document { id, text: text.into(), hint: Some(hint.into()) };
        let clusters = cluster(&[
            hinted(1, "can I pay yearly instead of monthly", "Annual billing"),
            hinted(2, "any discount if we commit to 12 months", "Annual billing"),
            hinted(3, "my parcel never arrived", "Lost parcel"),
        ]);
        let annual = clusters.iter().find(|c| c.members.contains(&1)).expect("a cluster with 1");
        assert_eq!(annual.members, [1, 2], "{clusters:?}");
        assert!(annual.label.contains("annual"), "{clusters:?}");
        let lone = clusters.iter().find(|c| c.members == [3]).expect("a cluster of 3 alone");
        assert_eq!(lone.label, "my parcel never arrived");
    }

    #[test]
    fn the_most_typical_text_comes_first() {
        let ranked = most_typical(&["unrelated words entirely", "annual billing is cheaper", "annual billing saves"]);
        assert_eq!(ranked[2], 0);
    }
}
