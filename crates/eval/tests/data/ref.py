"""Reference values for crates/eval/tests/reference.rs.

Writes a.csv (60 x 5, with a header line) and b.csv (50 x 5, no header), both rounded to 6
decimals so that Rust and numpy parse the same doubles, then prints the reference metrics
computed from the CSV files with numpy/scipy, the way pytorch-fid, torch-fidelity and prdc do.

    python3 crates/eval/tests/data/ref.py   # numpy 2.4.6, scipy 1.17.1
"""
import os

import numpy as np
from scipy import linalg

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240601)
a = rng.normal(size=(60, 5))
mix = np.array([[1.0, 0.3, 0.0, 0.0, 0.2],
                [0.0, 0.8, 0.4, 0.0, 0.0],
                [0.0, 0.0, 1.5, 0.1, 0.0],
                [0.3, 0.0, 0.0, 0.6, 0.0],
                [0.0, 0.2, 0.0, 0.0, 1.1]])
b = rng.normal(size=(50, 5)) @ mix + np.array([0.5, -0.2, 0.1, 0.0, 0.3])
np.savetxt(os.path.join(here, "a.csv"), a, fmt="%.6f", delimiter=",",
           header="f0,f1,f2,f3,f4", comments="")
np.savetxt(os.path.join(here, "b.csv"), b, fmt="%.6f", delimiter=",")
a = np.loadtxt(os.path.join(here, "a.csv"), delimiter=",", skiprows=1)
b = np.loadtxt(os.path.join(here, "b.csv"), delimiter=",")

# Fréchet distance, pytorch-fid's calculate_frechet_distance.
mu1, mu2 = a.mean(0), b.mean(0)
s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
covmean = linalg.sqrtm(s1.dot(s2))  # pytorch-fid passes disp=False (deprecated)
fd_sqrtm = ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real)
# The same with tr sqrt(S1 S2) = sum sqrt(eig(sqrt(S1) S2 sqrt(S1))).
r1 = linalg.sqrtm(s1).real
lam = np.clip(np.linalg.eigvalsh(r1 @ s2 @ r1), 0, None)
fd_eig = ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(lam).sum()
print(f"fd_sqrtm {float(fd_sqrtm)!r}")
print(f"fd_eig {float(fd_eig)!r}")


# Unbiased MMD^2 with k(x, y) = (x.y / d + 1)^3, torch-fidelity's mmd2, on a[:40], b[:40].
def mmd2(x, y):
    m, d = x.shape
    kxx, kyy, kxy = [(p @ q.T / d + 1) ** 3 for p, q in ((x, x), (y, y), (x, y))]
    return ((kxx.sum() - np.trace(kxx)) + (kyy.sum() - np.trace(kyy))) / (m * (m - 1)) \
        - 2 * kxy.sum() / m**2


print(f"mmd2_40 {float(mmd2(a[:40], b[:40]))!r}")


# k-NN metrics as in prdc (open balls) and Kynkäänniemi et al. (closed balls for P/R).
def dist(x, y):
    return np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))


def radii(x, k):
    return np.sort(dist(x, x), axis=1)[:, k]  # column 0 is the point itself


real, fake = a, b
d_rf = dist(real, fake)
r3, f3 = radii(real, 3), radii(fake, 3)
precision = (d_rf <= r3[:, None]).any(axis=0).mean()
recall = (d_rf <= f3[None, :]).any(axis=1).mean()
r5 = radii(real, 5)
density = (d_rf < r5[:, None]).sum(axis=0).mean() / 5
coverage = (d_rf.min(axis=1) < r5).mean()
print(f"precision3 {float(precision)!r} recall3 {float(recall)!r}")
print(f"density5 {float(density)!r} coverage5 {float(coverage)!r}")
