"""xtts_compare.py's own logic without torch: code agreement, the log-mel and its DTW distance,
and the probe call (against a stand-in probe that checks its arguments). The coqui side needs
a real checkpoint and runs on the user's machine.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

import numpy as np

SCRIPTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SCRIPTS))

import xtts_compare as xc  # noqa: E402

RATE = xc.MEL_RATE


def tone(freq, seconds=0.5, rate=RATE):
    t = np.arange(int(seconds * rate)) / rate
    return 0.5 * np.sin(2 * np.pi * freq * t)


class AgreementTest(unittest.TestCase):
    def test_prefix_and_share(self):
        self.assertEqual(xc.code_agreement([1, 2, 3, 9, 5], [1, 2, 3, 4, 5]), (3, 0.8))
        self.assertEqual(xc.code_agreement([], [1, 2]), (0, 0.0))
        # A longer sawt run is measured over coqui's length.
        self.assertEqual(xc.code_agreement([1, 2, 3, 4], [1, 2]), (2, 1.0))
        self.assertEqual(xc.code_agreement([7], []), (0, 0.0))


class MelTest(unittest.TestCase):
    def test_tone_peaks_in_its_band(self):
        mel = xc.log_mel_db(tone(1000.0))
        self.assertEqual(mel.shape, (1 + len(tone(1000.0)) // xc.MEL_HOP, xc.MEL_BANDS))
        fb = xc.mel_filters()
        hz = np.linspace(0.0, RATE / 2, xc.MEL_FFT // 2 + 1)
        centre = hz[np.argmax(fb[np.argmax(mel[10])])]
        self.assertLess(abs(centre - 1000.0), 60.0, centre)

    def test_filters_cover_the_spectrum_once(self):
        fb = xc.mel_filters()
        self.assertEqual(fb.shape, (xc.MEL_BANDS, xc.MEL_FFT // 2 + 1))
        # Neighbouring triangles overlap to a sum of 1 between the first and last centres.
        inner = fb.sum(axis=0)[20:-20]
        np.testing.assert_allclose(inner, 1.0, atol=1e-9)

    def test_other_rates_are_refused(self):
        with self.assertRaisesRegex(ValueError, "24000"):
            xc.log_mel_db(tone(440.0), rate=22050)


class DistanceTest(unittest.TestCase):
    def test_same_audio_is_zero(self):
        x = tone(440.0) + 0.1 * tone(3000.0)
        self.assertEqual(xc.mel_distance(x, x), 0.0)

    def test_alignment_absorbs_a_delay(self):
        rng = np.random.default_rng(3)
        x = np.concatenate([tone(300.0, 0.3), tone(1200.0, 0.3), tone(500.0, 0.3)])
        x += 1e-3 * rng.standard_normal(x.size)
        delayed = np.concatenate([np.full(2048, 0.0) + 1e-3 * rng.standard_normal(2048), x])
        a, b = xc.log_mel_db(x), xc.log_mel_db(delayed)
        plain = float(np.abs(a - b[: len(a)]).mean())
        aligned = xc.dtw_distance(a, b)
        self.assertLess(aligned, plain / 4, (aligned, plain))

    def test_different_audio_is_far(self):
        self.assertGreater(xc.mel_distance(tone(440.0), tone(2500.0)), 10.0)

    def test_small_change_is_small(self):
        x = tone(440.0)
        self.assertLess(xc.mel_distance(x * 1.01, x), 0.2)


class ProbeTest(unittest.TestCase):
    def fake_probe(self, tmp, body):
        path = os.path.join(tmp, "xtts-probe")
        with open(path, "w") as f:
            f.write(f"#!{sys.executable}\n" + textwrap.dedent(body))
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        return path

    def test_synth_arguments_and_result(self):
        with tempfile.TemporaryDirectory() as tmp:
            probe = self.fake_probe(
                tmp,
                """
                import json, sys, wave
                args = sys.argv[1:]
                assert args[:2] == ["synth", "MODEL"], args
                assert args[2] == "CLIP.wav" and args[3] == "مرحبا", args
                assert args[5:] == ["--lang", "ar", "--codes", "5,6,1025"], args
                with wave.open(args[4], "wb") as w:
                    w.setnchannels(1); w.setsampwidth(2); w.setframerate(24000)
                    w.writeframes((16384).to_bytes(2, "little", signed=True) * 3)
                print("log line")
                print(json.dumps({"codes": [5, 7, 1025], "text_tokens": [3, 4],
                                  "teacher_forced": {"agreement": 2 / 3, "first_mismatch": 1}}))
                """,
            )
            out = os.path.join(tmp, "out.wav")
            result, samples, rate = xc.run_probe(probe, "MODEL", "CLIP.wav", "مرحبا", out, [5, 6, 1025])
        self.assertEqual(rate, 24000)
        np.testing.assert_allclose(samples, [0.5, 0.5, 0.5])
        self.assertEqual(result["codes"], [5, 7, 1025])
        coqui = {"text": "مرحبا", "tokens": [3, 4], "codes": [5, 6, 1025], "wav": samples}
        line = xc.compare_one(coqui, result, samples)
        self.assertEqual(line["prefix"], 1)
        self.assertTrue(line["tokens_equal"])
        self.assertEqual(line["teacher_first_mismatch"], 1)
        self.assertAlmostEqual(line["length_ratio"], 1.0)
        self.assertEqual(line["mel_db"], 0.0)
        s = xc.summary([line, dict(line, tokens_equal=False, teacher_agreement=None, mel_db=2.0)])
        self.assertFalse(s["tokens_equal"])
        self.assertAlmostEqual(s["teacher_agreement"], 2 / 3)
        self.assertAlmostEqual(s["mel_db"], 1.0)

    def test_probe_failure_names_its_message(self):
        with tempfile.TemporaryDirectory() as tmp:
            probe = self.fake_probe(tmp, "import sys\nsys.stderr.write('xtts-probe: no such model')\nsys.exit(1)\n")
            with self.assertRaisesRegex(RuntimeError, "no such model"):
                xc.run_probe(probe, "M", "C.wav", "t", os.path.join(tmp, "o.wav"), None)

    def test_report_is_json(self):
        line = {"text": "x", "tokens_equal": True, "teacher_agreement": 1.0, "prefix_share": 1.0,
                "length_ratio": 1.0, "mel_db": 0.0}
        json.dumps(xc.summary([line]))


if __name__ == "__main__":
    unittest.main()
