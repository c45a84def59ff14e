//! Integers in request bodies. JSON Schema's `integer` (and so the OpenAPI document) counts
//! `5.0` as the integer 5, while serde's `i64` refuses it; these take any JSON number with no
//! fractional part that is exactly an `i64`, so a schema-valid body is not refused. (Floats are
//! taken up to ±2^53, where they are exact; integer literals over the whole `i64` range.)

use serde::de::{self, Deserializer, Visitor};

struct IntegerVisitor;

impl Visitor<'_> for IntegerVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format!("{v} is out of range for a 64-bit integer")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        // serde_json hands over as f64 both `5.0` and integer literals beyond the i64 range, which
        // it rounds: -9223372036854775809 arrives as -2^63. Only within ±2^53 is an f64 exactly
        // the number that was written, so only there is it taken.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        if v.fract() == 0.0 && (-EXACT..=EXACT).contains(&v) {
            Ok(v as i64)
        } else {
            Err(E::custom(format!("{v} is not an integer of 64 bits")))
        }
    }
}

/// For `#[serde(deserialize_with = "crate::integer::i64")]`.
pub fn i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    deserializer.deserialize_any(IntegerVisitor)
}

/// For `Option<i64>` fields: `null` is `None`.
pub fn option_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    struct OptionVisitor;
    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an integer or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<i64>, D::Error> {
            i64(d).map(Some)
        }
    }
    deserializer.deserialize_option(OptionVisitor)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(deserialize_with = "super::i64")]
        n: i64,
        #[serde(default, deserialize_with = "super::option_i64")]
        m: Option<i64>,
    }

    fn n(json: &str) -> Option<i64> {
        serde_json::from_str::<Probe>(json).ok().map(|p| p.n)
    }

    #[test]
    fn integral_numbers_of_any_notation_are_taken() {
        assert_eq!(n(r#"{"n": 5}"#), Some(5));
        assert_eq!(n(r#"{"n": -5839810895.0}"#), Some(-5_839_810_895));
        assert_eq!(n(r#"{"n": 1e3}"#), Some(1000));
        assert_eq!(n(r#"{"n": -9223372036854775808}"#), Some(i64::MIN));
        assert_eq!(n(r#"{"n": 9223372036854775807}"#), Some(i64::MAX));
        assert_eq!(n(r#"{"n": 9007199254740992.0}"#), Some(1 << 53));
        for bad in [
            r#"{"n": 1.5}"#,
            r#"{"n": 9223372036854775808}"#,
            r#"{"n": -9223372036854775809}"#,
            r#"{"n": 1e19}"#,
            r#"{"n": 9007199254740994.0}"#,
            r#"{"n": "1"}"#,
            r#"{"n": null}"#,
        ] {
            assert_eq!(n(bad), None, "{bad}");
        }
        let probe: Probe = serde_json::from_str(r#"{"n": 1, "m": null}"#).unwrap();
        assert_eq!(probe.m, None);
        let probe: Probe = serde_json::from_str(r#"{"n": 1, "m": 2.0}"#).unwrap();
        assert_eq!(probe.m, Some(2));
        let probe: Probe = serde_json::from_str(r#"{"n": 1}"#).unwrap();
        assert_eq!(probe.m, None);
    }
}
