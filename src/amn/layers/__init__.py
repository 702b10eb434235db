"""Mechanistic layers: unrolled, batched, differentiable iterations that turn a medium into a steady-state flux vector.

- :class:`RNNW`: propagation through metabolites with learned branching ratios (AMN-Wt).
- :class:`RNNEB` / :class:`RNNUB`: the published LP networks (exact uptakes / uptake bounds).
- :class:`QP`: gradient descent with momentum on constraint violations (AMN-QP).
- :class:`ProjectedPDHG` / :class:`PDHG`: first-order primal-dual solvers of the pFBA-like
  problem, orders of magnitude faster than the published layers when used as solvers.
- :class:`InteriorPoint`: Mehrotra predictor-corrector interior-point method of the same problem,
  converged to pFBA in tens of iterations (one Cholesky factorisation each: batched dense, or
  sparse per sample with one symbolic analysis per network for genome-scale networks).
- :class:`ExactFBA`: FBA/pFBA solved exactly by HiGHS, with gradients from the optimal basis.

All take :class:`~amn.network.matrices.NetworkMatrices` (or a network plus
medium ids), map a batch x n_in medium tensor to batch x n fluxes, support
float32/float64, any device (``.to("cuda")``) and gradient checkpointing (``checkpoint_every``).
Large network matrices are :class:`SparseMatrix` modules (CSR, the batch as the dense
dimension of each product; scipy's kernel on the CPU, PyTorch's CSR elsewhere).
Each is one problem in one :class:`torch.nn.Module`, with a runnable example
in its docstring; :func:`check_bound` is the one check of the medium-input
mode (``"UB"``/``"EB"``) that the layers and the loss share.

>>> import torch, amn
>>> from amn.layers import InteriorPoint
>>> net = amn.make_unidirectional("textbook")
>>> layer = InteriorPoint(net, ["EX_glc__D_e_i", "EX_o2_e_i"])
>>> layer(torch.tensor([[10.0, 20.0]], dtype=torch.float64)).shape
torch.Size([1, 154])
"""

from amn.layers.base import Solution, SparseMatrix, UnrolledLayer
from amn.layers.exact import ExactFBA
from amn.layers.inputs import check_bound
from amn.layers.ipm import InteriorPoint
from amn.layers.lp import RNNEB, RNNUB
from amn.layers.pdhg import PDHG, ProjectedPDHG
from amn.layers.qp import QP
from amn.layers.rnn_w import RNNW

__all__ = [
    "PDHG",
    "QP",
    "RNNEB",
    "RNNUB",
    "RNNW",
    "ExactFBA",
    "InteriorPoint",
    "ProjectedPDHG",
    "Solution",
    "SparseMatrix",
    "UnrolledLayer",
    "check_bound",
]
