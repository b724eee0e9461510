"""The project's PyTorch reference for ESVAE inference (docs/models.md).

ESVAE keeps FSVAE's encoder, decoder and membrane readout (fsvae_ref.py) and
replaces the autoregressive sampler by Bernoulli draws at a rate per latent:

  * reconstruction: rate[c] = the firing rate of before_latent_layer's latent c
    over all T steps (not causal), z_t[c] = rate[c] > U[c, t];
  * generation: rate = sigmoid(sample_layer.0(g)) with g ~ N(0, I),
    z_t[c] = rate[c] > U[c, t].

As the published sampler, both modes draw g = randn(N, C) and then
U = rand(N, C, T) from one torch.Generator (reconstruction draws g and does
not use it); or they take injected draws: g (N, C) and U (N, T, C).
"""

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F

from fsvae_ref import FSVAERef, Trace


@dataclass
class Draws:
    gaussian: torch.Tensor   # (N, C)
    uniform: torch.Tensor    # (N, T, C)


class ESVAERef(FSVAERef):
    def draws(self, n: int, seed: Optional[int] = None) -> Draws:
        """The published order: randn(N, C), then rand(N, C, T)."""
        gen = torch.Generator().manual_seed(0 if seed is None else seed)
        g = torch.randn((n, self.arch.latent_dim), generator=gen)
        u = torch.rand((n, self.arch.latent_dim, self.arch.T), generator=gen)
        return Draws(g, u.transpose(1, 2).contiguous())

    def _bernoulli(self, rate: torch.Tensor, d: Draws) -> torch.Tensor:
        """z (N, C, T) = rate (N, C) > U, compared in float32."""
        return torch.gt(rate.unsqueeze(-1), d.uniform.transpose(1, 2)).float()

    def rates_prior(self, d: Draws) -> torch.Tensor:
        W, b = self.sd["sample_layer.0.weight"], self.sd["sample_layer.0.bias"]
        return torch.sigmoid(F.linear(d.gaussian, W, b))

    @torch.no_grad()
    def generate(self, n: int, seed: Optional[int] = None, draws: Optional[Draws] = None,
                 trace: bool = False):
        d = draws if draws is not None else self.draws(n, seed)
        tr = Trace(n, self.arch.T) if trace else None
        z = self._bernoulli(self.rates_prior(d), d)
        return self.decode(z, tr), z.transpose(1, 2), d, tr

    @torch.no_grad()
    def reconstruct(self, images: torch.Tensor, seed: Optional[int] = None,
                    draws: Optional[Draws] = None, trace: bool = False):
        n = images.shape[0]
        d = draws if draws is not None else self.draws(n, seed)
        tr = Trace(n, self.arch.T) if trace else None
        x_lat = self.encode(images, tr)
        z = self._bernoulli(x_lat.mean(-1), d)
        return self.decode(z, tr), z.transpose(1, 2), d, tr

    def generate_layers(self):
        return ["decoder_input"] + self.arch.decoder_names() + ["final_layer.0"]

    def reconstruct_layers(self):
        return self.arch.encoder_names() + ["before_latent_layer"] + self.generate_layers()
