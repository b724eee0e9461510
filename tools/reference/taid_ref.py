"""The project's PyTorch reference for TAID inference (docs/models.md).

TAID is FSVAE (fsvae_ref.py: encoder, samplers, decoder) with another readout.
With m_t (N, C, H, W) the last layer's current at step t:

    a[n, t, c] = sum_s G[t, s] * mean_hw(m_s)[n, c]    (Conv1d(T, T, 1), no bias)
    image      = tanh(sum_t sigmoid(a[n, t, c]) * m_t)

G is membrane_output_layer.conv.weight (T, T, 1); conv_c is saved but unused.
"""

import torch
import torch.nn.functional as F

from fsvae_ref import FSVAERef


class TAIDRef(FSVAERef):
    def decode(self, z, trace=None):
        x = self._spiking("decoder_input", z, trace)
        x = x.view(x.shape[0], self.arch.hidden[-1], 2, 2, self.arch.T)
        for name in self.arch.decoder_names() + ["final_layer.0"]:
            x = self._spiking(name, x, trace)
        m = self._current("final_layer.1", x)                  # (N, C, H, W, T)
        means = m.mean(dim=(2, 3)).transpose(1, 2)             # (N, T, C): steps as channels
        gate = torch.sigmoid(F.conv1d(means, self.sd["membrane_output_layer.conv.weight"]))
        return torch.tanh(torch.sum(m * gate.transpose(1, 2)[:, :, None, None, :], dim=-1))
