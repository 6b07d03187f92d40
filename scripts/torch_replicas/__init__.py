"""The genbench families' networks and steps in PyTorch, for scripts/torch_reference.py.

Each replica takes a workload table of experiments/bench.toml and exposes `parameters()`,
`train_step(x)`, `sample(n)` and `log_likelihood(x)` (x: data values, levels for images). The
layer layout follows the Rust sources named in each class, so the parameter counts match. One
module per family (vae, diffusion and vdm, autoregressive, flow, gan), helpers in common.
"""

from .autoregressive import Made, PixelCnn
from .diffusion import Diffusion
from .flow import Flow
from .gan import Dcgan
from .vae import Vae
from .vdm import Vdm


def build_replica(w, train):
    family, arch = w["family"], w["config"].get("arch")
    if family == "vae":
        return Vae(w, train)
    if family == "diffusion":
        return Vdm(w, train) if w["config"].get("process") == "vdm" else Diffusion(w, train)
    if family == "autoregressive":
        return PixelCnn(w, train) if arch == "pixelcnn" else Made(w, train)
    if family == "flow":
        return Flow(w, train)
    if family == "gan":
        return Dcgan(w, train)
    raise SystemExit(f"error: {w['name']}: no PyTorch replica of family {family}")
