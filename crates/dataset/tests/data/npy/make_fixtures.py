#!/usr/bin/env python3
"""Golden .npy/.npz files written by numpy itself, read back by crates/dataset/src/external
(tests: files_numpy_wrote_read_as_numpy_reads_them). Rerun from this folder to regenerate."""

import numpy as np

np.save("levels_u8.npy", (np.arange(12) % 17).astype(np.uint8).reshape(3, 1, 2, 2))
np.save("fortran_f8.npy", np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3) / 2))
np.save("big_endian_i4.npy", np.array([-2, 70000, 3], dtype=">i4"))
np.save("nan_f4.npy", np.array([0.25, np.nan], dtype=np.float32))
np.save("flags_bool.npy", np.array([True, False, True]))
np.save("complex_c8.npy", np.array([1 + 2j], dtype=np.complex64))
samples = (np.arange(256) % 17).astype(np.uint8).reshape(4, 1, 8, 8)
labels = np.arange(4, dtype=np.int64)
np.savez("samples.npz", samples=samples, labels=labels)
np.savez_compressed("samples_compressed.npz", samples=samples, labels=labels)
