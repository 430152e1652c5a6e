"""xtts_quantize.py: the block layout sawt's kernels read, and the committed quantized fixtures
are what the script writes from the f32 fixture GPT (stdlib unittest; pytest runs it too).
"""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

SCRIPTS = Path(__file__).resolve().parent.parent
REPO = SCRIPTS.parent
sys.path.insert(0, str(SCRIPTS))

import xtts_quantize  # noqa: E402

FIXTURE = REPO / "tests" / "fixtures" / "xtts"


def dequantize_q8(q, scale):
    return q.astype(np.float64) * np.repeat(scale, 32, axis=1)


def dequantize_q4(packed, scale):
    n_out, half = packed.shape
    blocks = packed.reshape(n_out, half // 16, 16)
    u = np.concatenate([blocks & 0x0F, blocks >> 4], axis=2).reshape(n_out, half * 2)
    return (u.astype(np.float64) - 8.0) * np.repeat(scale, 32, axis=1)


class QuantizeTest(unittest.TestCase):
    def setUp(self):
        rng = np.random.default_rng(7)
        self.w = rng.standard_normal((64, 96)).astype(np.float32)  # [n_in, n_out]
        self.w[0:32, 3] = 0.0  # an all-zero block

    def test_q8_blocks_round_to_the_scale(self):
        q, scale = xtts_quantize.quantize_q8(np.ascontiguousarray(self.w.T))
        self.assertEqual((q.dtype, q.shape, scale.shape), (np.int8, (96, 64), (96, 2)))
        self.assertLessEqual(np.abs(q).max(), 127)
        self.assertEqual(scale[3, 0], 0.0)
        err = np.abs(dequantize_q8(q, scale) - self.w.T)
        self.assertTrue(np.all(err <= np.repeat(scale, 32, axis=1) / 2 + 1e-6))

    def test_q4_nibbles_hold_elements_j_and_j_plus_16(self):
        packed, scale = xtts_quantize.quantize_q4(np.ascontiguousarray(self.w.T))
        self.assertEqual((packed.dtype, packed.shape, scale.shape), (np.uint8, (96, 32), (96, 2)))
        back = dequantize_q4(packed, scale)
        err = np.abs(back - self.w.T)
        step = np.abs(np.repeat(scale, 32, axis=1))
        # Half a step, but a full step where +8 steps is clipped to 7 (the range is -8..7).
        self.assertTrue(np.all(err <= step + 1e-6))
        self.assertGreater(np.mean(err <= step / 2 + 1e-6), 0.95)
        # The block's largest magnitude is exact (it sets the scale: u = 0).
        block = self.w.T[0, :32]
        k = int(np.abs(block).argmax())
        self.assertAlmostEqual(back[0, k], float(block[k]), places=6)

    def test_refuses_what_is_not_an_exported_gpt(self):
        with self.assertRaises(ValueError):
            xtts_quantize.quantize({"mel_stats": np.ones(80, np.float32)}, "q8")
        with self.assertRaises(ValueError):
            xtts_quantize.quantize({"gpt.gpt.h.0.mlp.c_fc.weight": np.ones((33, 8), np.float32)}, "q8")
        with self.assertRaises(ValueError):
            xtts_quantize.quantize({"gpt.gpt.h.0.mlp.c_fc.weight": self.w}, "q3")

    def test_committed_fixtures_are_the_scripts_output(self):
        f32 = load_file(str(FIXTURE / "model" / "gpt.safetensors"))
        for fmt in ("q8", "q4"):
            want = xtts_quantize.quantize(f32, fmt)
            got = load_file(str(FIXTURE / f"model-{fmt}" / "gpt.safetensors"))
            self.assertEqual(sorted(got), sorted(want), fmt)
            for name in want:
                np.testing.assert_array_equal(got[name], want[name], err_msg=f"{fmt} {name}")
            linear = [n for n in got if n.endswith("." + fmt)]
            self.assertEqual(len(linear), 4 * 2, fmt)  # four per layer, two fixture layers


if __name__ == "__main__":
    unittest.main()
