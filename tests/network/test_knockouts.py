"""Gene knockouts: reactions removed as COBRApy decides, labels equal to COBRApy's pfba on the knocked-out
model, masks honoured by every layer, deterministic knockout datasets, models and the command line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner
from cobra.flux_analysis import pfba
from cobra.manipulation import knock_out_model_genes

from amn.cli import main
from amn.dataset import generate, label_chunk
from amn.dataset.generate import LabelTask
from amn.errors import DatasetMismatchError, UnknownGeneError
from amn.layers import PDHG, QP, RNNEB, RNNUB, RNNW, ExactFBA, ProjectedPDHG
from amn.media import RandomMedia, sample_rng
from amn.media.spec import core_medium
from amn.models import AMNRegressor, load_model_dir, save_model
from amn.network import Knockouts, RandomKnockouts
from amn.solve.pfba import CobraLabeler, FluxProblem, HighsLabeler

ISOZYMES = ("b0351", "b1241")  # ACALD: b0351 or b1241
PGK = "b2926"  # lethal on glucose


@pytest.fixture(scope="module")
def mapping(textbook_net):
    return Knockouts(textbook_net)


@pytest.fixture(scope="module")
def spec(textbook_net):
    return core_medium(textbook_net)


@pytest.fixture(scope="module")
def ko_data(tmp_path_factory, textbook_net, spec):
    knockouts = RandomKnockouts.from_network(textbook_net, wild_type=0.2)
    out = tmp_path_factory.mktemp("ko") / "ko.npz"
    return generate(textbook_net, RandomMedia(spec, 120), out, seed=3, chunk_size=50, progress=False, knockouts=knockouts)


def _original_ids(network, columns):
    return sorted({network.original_ids[i] for j in columns for i in network.recombination[:, j].nonzero()[0]})


def test_removed_reactions_are_cobrapys(textbook, textbook_net, mapping):
    pairs = [[g.id] for g in textbook.genes] + [list(ISOZYMES), ["b0726", "b0727"], [PGK, "b1136"]]
    for genes in pairs:
        with textbook:
            expected = sorted(r.id for r in knock_out_model_genes(textbook, genes))
        assert _original_ids(textbook_net, mapping.columns(genes)) == expected, genes
    assert mapping.reactions([ISOZYMES[0]]) == []  # an isozyme alone removes nothing
    assert mapping.reactions(list(ISOZYMES)) == ["ACALD_for", "ACALD_rev"]
    assert mapping.reactions(["PGI"]) == ["PGI_for", "PGI_rev"]  # an original reaction id: every part
    assert mapping.reactions(["EX_glc__D_e_i"]) == ["EX_glc__D_e_i"]  # a unidirectional id: that column
    mask = mapping.mask([[], [PGK], ["b1136", "PGI"]])
    assert mask.shape == (3, len(textbook_net.reaction_ids)) and not mask[0].any()
    assert set(np.flatnonzero(mask[2])) == set(mapping.columns(["b1136"])) | set(mapping.columns(["PGI"]))
    with pytest.raises(UnknownGeneError, match="unknown gene or reaction id.*nope"):
        mapping.columns(["nope"])


def test_knockout_labels_equal_cobrapy_pfba(textbook_net, spec, mapping):
    labeler = HighsLabeler(FluxProblem.from_network(textbook_net, spec.reaction_ids))
    media = RandomMedia(spec, 4)
    for i, gene in enumerate([PGK, "b1136", ISOZYMES[0], "b1779", "b0727"]):
        bounds = media.draw(sample_rng(5, i), i)
        got = labeler.label(bounds, mapping.columns([gene]))
        with textbook_net.model as model:
            for r in textbook_net.uptake_ids:
                model.reactions.get_by_id(r).upper_bound = 0.0
            for r, b in zip(spec.reaction_ids, bounds):
                model.reactions.get_by_id(r).upper_bound = b
            model.genes.get_by_id(gene).knock_out()
            growth = model.slim_optimize()
            if np.isnan(growth):
                assert got.fluxes is None
                continue
            reference = pfba(model).fluxes
        assert got.growth == pytest.approx(growth, rel=1e-6, abs=1e-9)
        assert got.fluxes.sum() == pytest.approx(reference.sum(), rel=1e-6)
        assert np.all(got.fluxes[mapping.columns([gene])] == 0)
    # the knockout lasts one label: the next medium sees the whole network again
    bounds = media.draw(sample_rng(5, 0), 0)
    assert labeler.label(bounds).growth == pytest.approx(CobraLabeler(textbook_net, spec.reaction_ids).label(bounds).growth, rel=1e-6)


def test_knockout_dataset(textbook_net, spec, ko_data, mapping, tmp_path):
    genes = sorted(g.id for g in textbook_net.model.genes)
    flags = ko_data.X[[f"KO:{g}" for g in genes]].to_numpy()
    assert list(ko_data.X.columns[: len(spec.reaction_ids)]) == list(spec.reaction_ids)
    assert set(np.unique(flags)) == {0.0, 1.0} and flags.sum(axis=1).max() == 1
    assert 0.05 < np.mean(flags.sum(axis=1) == 0) < 0.4  # about 20 % wild type
    assert ko_data.metadata["knockouts"]["genes"] == genes and ko_data.metadata["knockouts"]["mode"] == "single"
    # knocked-out fluxes are zero, and growth never beats the wild type on the same medium
    for row, flag in zip(ko_data.Y.to_numpy(), flags):
        if flag.any():
            assert np.all(row[mapping.columns([genes[int(np.argmax(flag))]])] == 0)
    assert np.all(ko_data.growth <= ko_data.wild_type_growth + 1e-9)
    # the media (and so the wild-type growth) are those of the wild-type dataset of the same seed
    wild = generate(textbook_net, RandomMedia(spec, 120), tmp_path / "wt.npz", seed=3, chunk_size=50, progress=False)
    assert np.array_equal(wild.X.to_numpy(), ko_data.X[list(spec.reaction_ids)].to_numpy())
    assert np.allclose(wild.growth, ko_data.wild_type_growth, rtol=1e-9)


def test_knockout_chunks_do_not_depend_on_order_or_backend(textbook_net, spec, ko_data):
    knockouts = RandomKnockouts.from_network(textbook_net, wild_type=0.2)
    problem = FluxProblem.from_network(textbook_net, spec.reaction_ids)
    task = LabelTask(RandomMedia(spec, 120), seed=3, output_columns=tuple(range(len(textbook_net.reaction_ids))),
                     knockouts=knockouts)
    labeler = HighsLabeler(problem)
    later, _ = label_chunk(problem, task, 100, 120, labeler)  # as another worker would, first
    first, _ = label_chunk(problem, task, 0, 50, labeler)
    assert np.array_equal(first["X"], ko_data.X.to_numpy()[:50])
    assert np.array_equal(later["Y"], ko_data.Y.to_numpy()[100:])
    cobra, _ = label_chunk(problem, task, 0, 20, CobraLabeler(textbook_net, spec.reaction_ids))
    assert np.allclose(cobra["growth"], first["growth"][:20], rtol=1e-6, atol=1e-9)
    assert np.array_equal(cobra["X"], first["X"][:20])


def _layers(net, medium):
    mats = net.matrices(medium=medium)
    return {
        "QP": QP(mats, iterations=50, objective=False, checkpoint_every=20),
        "RNNW": RNNW(mats, iterations=5),
        "RNNUB": RNNUB(mats, iterations=200, checkpoint_every=50),  # inactive bounds: no gradient before ~100
        "RNNEB": RNNEB(net.matrices(medium=net.uptake_ids), iterations=50, checkpoint_every=20),
        "PDHG": PDHG(mats, iterations=50, checkpoint_every=20),
        "ProjectedPDHG": ProjectedPDHG(mats, iterations=50, checkpoint_every=20),
        "ExactFBA": ExactFBA(mats),
    }


@pytest.mark.parametrize("name", ["QP", "RNNW", "RNNUB", "RNNEB", "PDHG", "ProjectedPDHG", "ExactFBA"])
def test_every_layer_zeroes_knocked_out_fluxes_and_stays_differentiable(textbook_net, spec, mapping, name):
    net = textbook_net
    layer = _layers(net, list(spec.reaction_ids))[name]
    n_in = layer.n_in
    if name == "RNNEB":  # exact uptakes of every exchange
        u = torch.full((3, n_in), 0.5, dtype=torch.float64)
    else:
        u = torch.as_tensor(np.tile(np.where(spec.level <= 1, spec.max_value, 2.5), (3, 1)))
    u.requires_grad_(True)
    knockout = torch.as_tensor(mapping.mask([[], ["b1136"], ["PGI", "b0720"]]))
    V = layer(u, knockout=knockout)
    assert torch.all(V[knockout] == 0)
    V.sum().backward()
    assert torch.isfinite(u.grad).all() and u.grad.abs().sum() > 0
    if name != "ExactFBA":  # the mask as 0/1 floats and checkpointing give the same fluxes
        plain = type(layer)(net.matrices(medium=layer.medium), iterations=layer.iterations,
                            **({"objective": False} if name == "QP" else {}))
        with torch.no_grad():
            assert torch.allclose(plain(u, knockout=knockout.double()), V, rtol=1e-10, atol=1e-12)


def test_exact_layer_with_knockout_is_knockout_pfba(textbook_net, spec, mapping):
    layer = ExactFBA(textbook_net.matrices(medium=list(spec.reaction_ids)))
    labeler = HighsLabeler(FluxProblem.from_network(textbook_net, spec.reaction_ids))
    media = RandomMedia(spec, 3)
    bounds = np.array([media.draw(sample_rng(8, i), i) for i in range(3)])
    genes = [[], ["b1136"], ["b0720"]]
    V = layer(torch.as_tensor(bounds), knockout=torch.as_tensor(mapping.mask(genes)))
    for i, ko in enumerate(genes):
        growth = labeler.label(bounds[i], mapping.columns(ko)).growth
        assert float(V[i, textbook_net.reaction_ids.index(textbook_net.objective_id)]) == pytest.approx(growth, rel=1e-6)


def test_models_learn_with_knockouts_and_round_trip(ko_data, textbook_net, tmp_path):
    for arch in ("amn-qp", "ann-dense"):
        model = AMNRegressor(arch=arch, network=textbook_net, epochs=2, seed=0).fit(ko_data.X, ko_data.Y)
        assert len(model.knockout_genes_) == len(textbook_net.model.genes)
        assert "KO:b1136" not in model.medium_
        media = ko_data.X[model.medium_].iloc[:4]
        by_column = model.predict(ko_data.X.iloc[:4].assign(**{c: 0.0 for c in ko_data.X.columns if c.startswith("KO:")})
                                  .assign(**{"KO:b1136": 1.0}))
        assert np.allclose(model.predict(media, knockouts=["b1136"] * 4), by_column)
        save_model(model, tmp_path / arch)
        back = load_model_dir(tmp_path / arch)
        assert back.knockout_genes_ == model.knockout_genes_
        assert np.array_equal(back.predict(media, knockouts=[["b1136"]] * 4), model.predict(media, knockouts=[["b1136"]] * 4))
    amn_qp = load_model_dir(tmp_path / "amn-qp")
    fluxes = amn_qp.predict_fluxes(media, knockouts=["PGI;b1136"] * 4)
    assert (fluxes[["PGI_for", "PGI_rev", "ICDHyr_for", "ICDHyr_rev"]].to_numpy() == 0).all()
    with pytest.raises(UnknownGeneError):
        amn_qp.predict(media, knockouts=["nope"] * 4)
    # a dense model without a knockout input cannot apply one: refused, not predicted as the wild type
    wild = AMNRegressor(arch="ann-dense", network=textbook_net, epochs=2, seed=0).fit(media, ko_data.Y.iloc[:4])
    with pytest.raises(DatasetMismatchError, match=r"knockout\(s\) b1136: the model has no knockout input for them"):
        wild.predict(media.assign(**{"KO:b1136": [1.0, 0.0, 0.0, 0.0]}))
    with pytest.raises(DatasetMismatchError, match="knockout"):
        load_model_dir(tmp_path / "ann-dense").predict(media, knockouts=["PGI"] * 4)  # a reaction: no indicator


def test_cli_generate_and_predict_with_knockouts(tmp_path, textbook_net, ko_data):
    runner = CliRunner()
    run = lambda *args: runner.invoke(main, [str(a) for a in args])
    medium = tmp_path / "medium.csv"
    spec = core_medium(textbook_net)
    pd.DataFrame([spec.level, spec.max_value, [spec.ratio_drawing] * len(spec.level)],
                 index=["level", "max_value", "ratio_drawing"], columns=spec.reaction_ids).rename_axis("name").to_csv(medium)
    (tmp_path / "genes.txt").write_text("gene\nb1136\nb2926\n")
    result = run("generate", "--medium", medium, "--size", 30, "--knockouts", tmp_path / "genes.txt", "--quiet",
                 "--out", tmp_path / "g.npz")
    assert result.exit_code == 0, result.output
    assert "X 22" in result.output  # 20 uptakes + 2 indicators
    bad = run("generate", "--medium", medium, "--size", 5, "--knockouts", tmp_path / "medium.csv", "--out", tmp_path / "b.npz")
    assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1 and "not in model" in bad.output

    model = AMNRegressor(arch="amn-qp", network=textbook_net, epochs=1).fit(ko_data.X, ko_data.Y)
    save_model(model, tmp_path / "model")
    ko_data.X[model.medium_].iloc[:3].to_csv(tmp_path / "media.csv", index=False)
    pd.DataFrame({"knockouts": ["", "b1136", "PGI;b2926"]}).to_csv(tmp_path / "k.csv", index=False)
    result = run("predict", tmp_path / "model", "--media", tmp_path / "media.csv", "--knockouts", tmp_path / "k.csv",
                 "--out", tmp_path / "f.csv")
    assert result.exit_code == 0, result.output
    fluxes = pd.read_csv(tmp_path / "f.csv")
    assert (fluxes.loc[1, ["ICDHyr_for", "ICDHyr_rev"]] == 0).all() and (fluxes.loc[2, ["PGI_for", "PGI_rev", "PGK_for", "PGK_rev"]] == 0).all()
    assert fluxes.loc[0, "ICDHyr_for"] != 0
    for rows, problem in (({"knockouts": ["", "nope", ""]}, "unknown gene"), ({"genes": ["", "", ""]}, "no column"),
                          ({"knockouts": [""]}, "1 rows")):
        pd.DataFrame(rows).to_csv(tmp_path / "bad.csv", index=False)
        result = run("predict", tmp_path / "model", "--media", tmp_path / "media.csv", "--knockouts", tmp_path / "bad.csv",
                     "--out", tmp_path / "f.csv")
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1 and "bad.csv" in result.output and problem in result.output
    # a KO: column of the media table naming no gene of the model: the error names the media file
    ko_data.X[model.medium_].iloc[:3].assign(**{"KO:nope": 1.0}).to_csv(tmp_path / "bad_media.csv", index=False)
    result = run("predict", tmp_path / "model", "--media", tmp_path / "bad_media.csv", "--out", tmp_path / "f.csv")
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1 and "bad_media.csv" in result.output and "nope" in result.output
    assert json.loads((tmp_path / "model" / "model.json").read_text())["knockout_genes"] == model.knockout_genes_


def test_predict_reads_uptakes_and_genes_as_the_table_names_them(tmp_path, textbook_net, ko_data):
    """Exchange, metabolite and SBML ids, a mapping file and gene names give the predictions of the model's own ids."""
    runner = CliRunner()
    run = lambda *args: runner.invoke(main, [str(a) for a in args])
    model = AMNRegressor(arch="amn-qp", network=textbook_net, epochs=1).fit(ko_data.X, ko_data.Y)
    save_model(model, tmp_path / "model")
    media = ko_data.X[model.medium_].iloc[:3].assign(**{"KO:b1136": [0.0, 1.0, 0.0]})
    media.to_csv(tmp_path / "ids.csv", index=False)
    assert run("predict", tmp_path / "model", "--media", tmp_path / "ids.csv", "--out", tmp_path / "ids_f.csv").exit_code == 0
    names = {"EX_glc__D_e_i": "glc__D_e", "EX_o2_e_i": "R_EX_o2_e_rev", "EX_fru_e_i": "fru_e (mmol/gDW/h)", "EX_nh4_e_i": "EX_nh4_e", "EX_pi_e_i": "phosphate",
             "KO:b1136": "KO:icd"}
    media.rename(columns=names).to_csv(tmp_path / "named.csv", index=False)
    (tmp_path / "map.csv").write_text("column,id\nphosphate,pi_e\n")
    result = run("predict", tmp_path / "model", "--media", tmp_path / "named.csv", "--mapping", tmp_path / "map.csv",
                 "--out", tmp_path / "named_f.csv")
    assert result.exit_code == 0, result.output
    assert "glc__D_e -> EX_glc__D_e_i" in result.output and "KO:icd -> KO:b1136" in result.output
    assert "fru_e (mmol/gDW/h) -> EX_fru_e_i" in result.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "named_f.csv"), pd.read_csv(tmp_path / "ids_f.csv"))
    assert pd.read_csv(tmp_path / "ids_f.csv").loc[1, ["ICDHyr_for", "ICDHyr_rev"]].eq(0).all()
    # the base the model only saw at one value may be left out: it takes that value (said); a varied uptake may not
    constant = [c for c in model.medium_ if ko_data.X[c].nunique() == 1]
    assert constant and set(constant) < set(model.medium_)
    media.drop(columns=constant).to_csv(tmp_path / "varied.csv", index=False)
    result = run("predict", tmp_path / "model", "--media", tmp_path / "varied.csv", "--out", tmp_path / "varied_f.csv")
    assert result.exit_code == 0, result.output
    assert f"only saw at one value, filled with it: {constant[0]}={ko_data.X[constant[0]].iloc[0]:g}" in result.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "varied_f.csv"), pd.read_csv(tmp_path / "ids_f.csv"))
    varied = next(c for c in model.medium_ if c not in constant)
    media.drop(columns=[*constant, varied]).to_csv(tmp_path / "short.csv", index=False)
    result = run("predict", tmp_path / "model", "--media", tmp_path / "short.csv", "--out", tmp_path / "x.csv")
    assert result.exit_code == 2 and f"short.csv: missing medium column(s) {varied}" in result.output
    # two names of one uptake, and a mapping that names no column: one line each, naming the file
    media.assign(glc__D_e=1.0).to_csv(tmp_path / "twice.csv", index=False)
    (tmp_path / "none.csv").write_text("column,id\nsucrose,glc__D_e\n")
    media.rename(columns={"EX_glc__D_e_i": "glc__D_e (mM)"}).to_csv(tmp_path / "mM.csv", index=False)
    for args, problem in ((["--media", tmp_path / "twice.csv"], "twice.csv: columns EX_glc__D_e_i and glc__D_e both name"),
                          (["--media", tmp_path / "mM.csv"], ("mM.csv: column glc__D_e (mM): a concentration (mM), but "
                                                              "the model takes uptake bounds (mmol/gDW/h) for EX_glc__D_e_i")),
                          (["--media", tmp_path / "named.csv", "--mapping", tmp_path / "none.csv"], "none.csv: names no column")):
        result = run("predict", tmp_path / "model", *args, "--out", tmp_path / "x.csv")
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1 and problem in result.output, result.output
