//! The `response_format`s of OpenAI's `/v1/audio/transcriptions` and `/translations`:
//! json, text, srt, vtt and verbose_json.
//!
//! Subtitles follow openai-whisper's writers (whisper/utils.py at openai/whisper@v20250625:
//! `format_timestamp`, `SubtitlesWriter.iterate_result`, `WriteSRT`, `WriteVTT`), so the same
//! segments give byte-identical files to `whisper --output_format srt|vtt`.

use serde::Serialize;

use sawt_api::{ApiError, Response};
use sawt_whisper::text::py_strip;
use sawt_whisper::Segment;

/// What the client asked the transcript to look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseFormat {
    #[default]
    Json,
    Text,
    Srt,
    Vtt,
    VerboseJson,
}

impl ResponseFormat {
    pub const ALL: [&'static str; 5] = ["json", "text", "srt", "vtt", "verbose_json"];

    /// Parses the form field; 400 with `param: response_format` otherwise.
    pub fn parse(value: &str) -> Result<Self, ApiError> {
        match value.trim() {
            "json" => Ok(Self::Json),
            "text" => Ok(Self::Text),
            "srt" => Ok(Self::Srt),
            "vtt" => Ok(Self::Vtt),
            "verbose_json" => Ok(Self::VerboseJson),
            other => {
                let shown: String = other.chars().take(40).collect();
                Err(ApiError::bad_request(format!(
                    "response_format {shown:?} is not supported; use one of {}",
                    Self::ALL.join(", ")
                ))
                .with_param("response_format"))
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Text => "text",
            Self::Srt => "srt",
            Self::Vtt => "vtt",
            Self::VerboseJson => "verbose_json",
        }
    }
}

/// A finished transcription or translation, independent of the engine that made it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transcription {
    /// `transcribe` or `translate`.
    pub task: String,
    /// Language name as OpenAI reports it (`"arabic"`, `"english"`).
    pub language: String,
    /// Seconds of input audio.
    pub duration: f64,
    pub text: String,
    /// openai-whisper's segments, which are OpenAI's verbose_json segments field for field.
    pub segments: Vec<Segment>,
}

#[derive(Serialize)]
struct JsonBody<'a> {
    text: &'a str,
}

/// Renders `t` as `format` asks: the body and its content type.
pub fn render(t: &Transcription, format: ResponseFormat) -> Response {
    match format {
        ResponseFormat::Json => Response::json(200, &JsonBody { text: &t.text }),
        ResponseFormat::VerboseJson => Response::json(200, t),
        ResponseFormat::Text => text_response(format!("{}\n", t.text), "text/plain"),
        ResponseFormat::Srt => text_response(srt(&t.segments), "application/x-subrip"),
        ResponseFormat::Vtt => text_response(vtt(&t.segments), "text/vtt"),
    }
}

fn text_response(body: String, mime: &str) -> Response {
    Response {
        status: 200,
        headers: vec![("content-type".into(), format!("{mime}; charset=utf-8"))],
        body: body.into_bytes(),
    }
}

/// `format_timestamp` of whisper/utils.py: `[HH:]MM:SS<marker>mmm`, rounded to the nearest
/// millisecond with Python's round-half-to-even; negative or non-finite input counts as 0
/// (the reference asserts instead).
pub fn format_timestamp(seconds: f64, always_include_hours: bool, decimal_marker: char) -> String {
    let seconds = if seconds.is_finite() && seconds > 0.0 {
        seconds
    } else {
        0.0
    };
    let mut ms = (seconds * 1000.0).round_ties_even() as u64;
    let hours = ms / 3_600_000;
    ms -= hours * 3_600_000;
    let minutes = ms / 60_000;
    ms -= minutes * 60_000;
    let secs = ms / 1_000;
    ms -= secs * 1_000;
    let hours_marker = if always_include_hours || hours > 0 {
        format!("{hours:02}:")
    } else {
        String::new()
    };
    format!("{hours_marker}{minutes:02}:{secs:02}{decimal_marker}{ms:03}")
}

/// `segment["text"].strip().replace("-->", "->")`, with Python's notion of whitespace.
fn cue_text(text: &str) -> String {
    py_strip(text).replace("-->", "->")
}

/// `WriteSRT`: numbered cues from 1, `HH:MM:SS,mmm`, a blank line after each cue.
pub fn srt(segments: &[Segment]) -> String {
    let mut out = String::new();
    for (i, s) in segments.iter().enumerate() {
        out.push_str(&format!(
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            format_timestamp(s.start, true, ','),
            format_timestamp(s.end, true, ','),
            cue_text(&s.text)
        ));
    }
    out
}

/// `WriteVTT`: a `WEBVTT` header, then `[HH:]MM:SS.mmm` cues, a blank line after each.
pub fn vtt(segments: &[Segment]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for s in segments {
        out.push_str(&format!(
            "{} --> {}\n{}\n\n",
            format_timestamp(s.start, false, '.'),
            format_timestamp(s.end, false, '.'),
            cue_text(&s.text)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(id: usize, start: f64, end: f64, text: &str) -> Segment {
        Segment {
            id,
            seek: 0,
            start,
            end,
            text: text.into(),
            tokens: vec![50365, 1000, 50415],
            temperature: 0.0,
            avg_logprob: -0.25,
            compression_ratio: 1.5,
            no_speech_prob: 0.01,
        }
    }

    fn sample() -> Transcription {
        Transcription {
            task: "transcribe".into(),
            language: "arabic".into(),
            duration: 3725.5,
            text: " مرحبا. كيف حالك؟".into(),
            segments: vec![
                seg(0, 0.0, 1.0, " مرحبا."),
                seg(1, 3723.4567, 3725.5, "  a --> b\t"),
            ],
        }
    }

    #[test]
    fn timestamps_match_the_reference_writer() {
        assert_eq!(format_timestamp(1.0, true, ','), "00:00:01,000");
        assert_eq!(format_timestamp(1.0, false, '.'), "00:01.000");
        assert_eq!(format_timestamp(3723.4567, false, '.'), "01:02:03.457");
        assert_eq!(format_timestamp(59.9996, true, ','), "00:01:00,000");
        // Python's round(): half to even (0.0005 s * 1000 is 0.5 exactly → 0; 2.5 → 2).
        assert_eq!(format_timestamp(0.0025, true, ','), "00:00:00,002");
        assert_eq!(format_timestamp(0.0035, true, ','), "00:00:00,004");
        assert_eq!(format_timestamp(-1.0, true, ','), "00:00:00,000");
        assert_eq!(format_timestamp(f64::NAN, false, '.'), "00:00.000");
    }

    #[test]
    fn srt_and_vtt_bodies() {
        let t = sample();
        assert_eq!(
            srt(&t.segments),
            "1\n00:00:00,000 --> 00:00:01,000\nمرحبا.\n\n2\n01:02:03,457 --> 01:02:05,500\na -> b\n\n"
        );
        assert_eq!(
            vtt(&t.segments),
            "WEBVTT\n\n00:00.000 --> 00:01.000\nمرحبا.\n\n01:02:03.457 --> 01:02:05.500\na -> b\n\n"
        );
        assert_eq!(vtt(&[]), "WEBVTT\n\n");
        assert_eq!(srt(&[]), "");
    }

    #[test]
    fn render_sets_bodies_and_content_types() {
        let t = sample();
        let r = render(&t, ResponseFormat::Json);
        assert_eq!(r.header("content-type"), Some("application/json"));
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v, serde_json::json!({"text": " مرحبا. كيف حالك؟"}));

        let r = render(&t, ResponseFormat::Text);
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
        assert_eq!(r.body, " مرحبا. كيف حالك؟\n".as_bytes());

        let r = render(&t, ResponseFormat::Srt);
        assert_eq!(
            r.header("content-type"),
            Some("application/x-subrip; charset=utf-8")
        );
        assert!(r.body.starts_with(b"1\n00:00:00,000 --> "));
        let r = render(&t, ResponseFormat::Vtt);
        assert_eq!(r.header("content-type"), Some("text/vtt; charset=utf-8"));
        assert!(r.body.starts_with(b"WEBVTT\n\n"));

        let r = render(&t, ResponseFormat::VerboseJson);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["task"], "transcribe");
        assert_eq!(v["language"], "arabic");
        assert_eq!(v["duration"], 3725.5);
        assert_eq!(v["segments"].as_array().unwrap().len(), 2);
        let s = &v["segments"][1];
        let keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = [
            "id",
            "seek",
            "start",
            "end",
            "text",
            "tokens",
            "temperature",
            "avg_logprob",
            "compression_ratio",
            "no_speech_prob",
        ];
        want.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, want);
        assert_eq!(s["id"], 1);
        assert_eq!(s["tokens"], serde_json::json!([50365, 1000, 50415]));
        assert_eq!(s["avg_logprob"], -0.25);
    }

    #[test]
    fn response_format_parsing() {
        for name in ResponseFormat::ALL {
            assert_eq!(ResponseFormat::parse(name).unwrap().as_str(), name);
        }
        let e = ResponseFormat::parse("xml").unwrap_err();
        assert_eq!(e.status, 400);
        assert_eq!(e.param.as_deref(), Some("response_format"));
        assert!(e.message.contains("verbose_json"), "{}", e.message);
    }
}
