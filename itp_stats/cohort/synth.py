"""Synthetic cohort generator (``itp-stats synth``).

Generates a cohort that follows the data dictionary, with realistic ranges and internal
consistency, for demonstration, tests and benchmarks. It is **synthetic**: no value comes
from a real patient or from the published study.

Assumptions (chosen, not estimated; see ``data/README.md``):

- latent 6-month course: complete response 42 %, partial response 18 %, no response 40 %;
  the recorded response is then derived from the generated counts by the IWG 2009 rule, so
  realised proportions differ slightly;
- about 3 % of patients are lost to follow-up before 6 months (no 6-month data);
- baseline NK cells are a smaller share of lymphocytes in complete responders (mean share
  6 % against 10 %), which gives a lower baseline NK count in CR;
- by 6 months, the NK share rises in complete responders (to about 10 %) and not in the other
  groups; activated CD8+ T cells (as % of CD8) fall in complete responders (mean 20 % → 12 %)
  and not in the other groups;
- B cells are depleted at 6 months (about 0.3 % of lymphocytes, often 0);
- about 2 % of lymphocyte subset values are missing at baseline, 6 % at 6 months;
- times to event (months from rituximab start, drawn from a stream of their own so every
  other value is the same as without them; see :func:`_times_to_event`): responders at 6
  months relapse after month 6 at an exponential rate with a median of 24 months after it in
  partial responders, a hazard ratio of 0.5 in complete responders and of 1.3 per 100 NK
  cells/µL of baseline count (a lower baseline NK count goes with a longer response); a next
  treatment follows a relapse after about 2 months in 80 % of relapses, comes at about 4 months
  after month 6 in non-responders (within the first 6 months with rescue therapy), and both
  are censored at the end of follow-up.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from itp_stats import __version__
from itp_stats.cohort.dictionary import load_dictionary
from itp_stats.cohort.iwg import iwg_response
from itp_stats.files import replaced_atomically, write_failure

__all__ = [
    "DEFAULT_SEED",
    "SIDECAR_SUFFIX",
    "SYNTHETIC_MARK",
    "register",
    "sidecar_path",
    "synthesize",
    "synthetic_mark",
    "synthetic_mark_of",
    "write_cohort",
]

DEFAULT_SEED = 20230601
"""Seed of the shipped ``data/cohort.csv``."""

SYNTHETIC_MARK = "synthetic cohort made by itp-stats synth"
"""Start of the provenance mark of every file :func:`write_cohort` writes: in its sidecar
(:data:`SIDECAR_SUFFIX`), and inside an XLSX (the workbook's description) or a Parquet file
(the schema metadata). A CSV stays plain; older versions wrote the mark as a first ``#`` line,
which is still read."""

SIDECAR_SUFFIX = ".synthetic.json"
"""Ending of the provenance sidecar :func:`write_cohort` writes beside a cohort file
(``cohort.csv`` → ``cohort.csv.synthetic.json``)."""

_PARQUET_KEY = b"itp_stats_provenance"

_LATENT = np.array(["CR", "PR", "NR"])
_LATENT_P = [0.42, 0.18, 0.40]


def _shares(rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    """Dirichlet draws with one concentration vector per row (rows of ``alpha``)."""
    g = rng.gamma(alpha)
    return g / g.sum(axis=1, keepdims=True)


def _split(rng: np.random.Generator, total: np.ndarray, means: np.ndarray, conc: float):
    """Split integer totals into integer parts whose sum never exceeds the total."""
    shares = _shares(rng, means * conc)
    return np.floor(total[:, None] * shares).astype(np.int64)


def synthesize(n: int = 72, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Generate a synthetic cohort.

    Parameters
    ----------
    n : int
        Number of patients.
    seed : int
        Seed of the random generator; the same ``(n, seed)`` gives the same cohort.

    Returns
    -------
    pandas.DataFrame
        One row per patient with exactly the columns of the data dictionary, in its order;
        integer and boolean columns use pandas nullable dtypes, categories are text.

    Notes
    -----
    Built by vectorised draws (no loop over patients): a million patients take a few
    seconds. The module docstring lists the assumptions behind the distributions.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = np.random.default_rng(seed)
    width = max(3, len(str(n)))
    ids = pd.Series(np.arange(1, n + 1)).map(lambda i: f"P{i:0{width}d}")

    age = np.clip(np.rint(rng.normal(56, 18, n)), 18, 95).astype(np.int64)
    sex = np.where(rng.random(n) < 0.58, "F", "M")
    duration = np.clip(np.round(rng.lognormal(np.log(20), 1.2, n), 1), 0.3, 480.0)
    prior_lines = np.clip(rng.poisson(1.8, n) + 1, 1, 10).astype(np.int64)
    splenectomy = rng.random(n) < 0.08
    regimen = np.where(rng.random(n) < 0.65, "4x375mg/m2", "2x1g")
    year = rng.integers(2007, 2022, n)
    lost = rng.random(n) < 0.03
    followup = np.where(
        lost,
        np.round(rng.uniform(1.0, 5.5, n), 1),
        np.round(6 + rng.exponential(30, n), 1),
    )

    platelets_m0 = np.clip(np.rint(rng.lognormal(np.log(18), 0.6, n)), 2, 95).astype(np.int64)
    bleeding_m0 = rng.random(n) < 0.35

    latent = rng.choice(_LATENT, size=n, p=_LATENT_P)
    is_cr, is_pr = latent == "CR", latent == "PR"
    rescue = ~is_cr & ~is_pr & (rng.random(n) < 0.30)
    bleeding_m6 = ~is_cr & ~is_pr & (rng.random(n) < 0.15)
    p6_cr = np.clip(np.rint(rng.lognormal(np.log(190), 0.4, n)), 100, 600)
    low = np.maximum(30, 2 * platelets_m0)
    p6_pr = np.rint(low + rng.random(n) * np.maximum(99 - low, 0))
    p6_nr = np.rint(np.minimum(low - 1, 99) * rng.beta(2, 2.5, n))
    platelets_m6 = np.where(is_cr, p6_cr, np.where(is_pr, p6_pr, p6_nr)).astype(np.int64)

    # baseline lymphocyte subsets: shares of (T, B, NK, other) of lymphocytes
    lymph_m0 = np.clip(np.rint(rng.lognormal(np.log(1600), 0.4, n)), 300, 8000).astype(np.int64)
    nk_share0 = np.where(is_cr, 0.06, 0.10)
    means0 = np.column_stack([np.full(n, 0.70), np.full(n, 0.11), nk_share0, 0.19 - nk_share0])
    cd3_0, cd19_0, nk_0, _ = _split(rng, lymph_m0, means0, 80.0).T
    t_means = np.tile([0.62, 0.32, 0.06], (n, 1))
    cd4_0, cd8_0, _ = _split(rng, cd3_0, t_means, 60.0).T
    act0 = rng.beta(0.20 * 400, 0.80 * 400, n)  # share of CD8 activated, mean 20 %
    cd8_act_0 = np.floor(cd8_0 * act0).astype(np.int64)

    # 6 months: B cells depleted; NK share rises and activated CD8 falls in complete responders
    lymph_m6 = np.clip(np.rint(lymph_m0 * rng.lognormal(np.log(0.92), 0.2, n)), 200, 8000)
    lymph_m6 = lymph_m6.astype(np.int64)
    nk_share6 = np.where(is_cr, 0.10, nk_share0)
    b_share6 = np.full(n, 0.003)
    means6 = np.column_stack([np.full(n, 0.78), b_share6, nk_share6, 0.217 - nk_share6])
    cd3_6, cd19_6, nk_6, _ = _split(rng, lymph_m6, means6, 80.0).T
    cd4_6, cd8_6, _ = _split(rng, cd3_6, t_means, 60.0).T
    act6_mean = np.where(is_cr, 0.12, 0.20)
    act6 = rng.beta(act6_mean * 400, (1 - act6_mean) * 400)
    cd8_act_6 = np.floor(cd8_6 * act6).astype(np.int64)

    frame = pd.DataFrame(
        {
            "patient_id": ids,
            "age_years": pd.array(age, dtype="Int64"),
            "sex": sex,
            "itp_duration_months": duration,
            "prior_lines": pd.array(prior_lines, dtype="Int64"),
            "prior_splenectomy": pd.array(splenectomy, dtype="boolean"),
            "rtx_regimen": regimen,
            "rtx_year": pd.array(year, dtype="Int64"),
            "followup_months": followup,
            "platelets_m0": pd.array(platelets_m0, dtype="Int64"),
            "bleeding_m0": pd.array(bleeding_m0, dtype="boolean"),
            "platelets_m6": pd.array(platelets_m6, dtype="Int64"),
            "bleeding_m6": pd.array(bleeding_m6, dtype="boolean"),
            "rescue_therapy_m6": pd.array(rescue, dtype="boolean"),
            "response_m6": None,
        }
    )
    counts = {
        "lymphocytes": (lymph_m0, lymph_m6),
        "cd3": (cd3_0, cd3_6),
        "cd4": (cd4_0, cd4_6),
        "cd8": (cd8_0, cd8_6),
        "cd19": (cd19_0, cd19_6),
        "nk": (nk_0, nk_6),
        "cd8_act": (cd8_act_0, cd8_act_6),
    }
    for marker, (m0, m6) in counts.items():
        frame[f"{marker}_m0"] = pd.array(m0, dtype="Int64")
        frame[f"{marker}_m6"] = pd.array(m6, dtype="Int64")

    # missing values: whole panels are missed more often than single subsets
    panel_m0 = rng.random(n) < 0.015
    panel_m6 = rng.random(n) < 0.04
    for marker in counts:
        for tp, panel, p_cell in (("m0", panel_m0, 0.005), ("m6", panel_m6, 0.02)):
            col = f"{marker}_{tp}"
            frame.loc[panel | (rng.random(n) < p_cell), col] = pd.NA

    # lost to follow-up: nothing at 6 months
    m6_cols = [c for c in frame.columns if c.endswith("_m6")]
    for col in m6_cols:
        frame.loc[lost, col] = pd.NA

    response = iwg_response(
        frame["platelets_m0"],
        frame["platelets_m6"],
        frame["bleeding_m6"],
        frame["rescue_therapy_m6"],
    )
    frame["response_m6"] = response.astype(object).where(response.notna(), None)

    frame = pd.concat([frame, _times_to_event(frame, followup, seed)], axis=1)
    order = load_dictionary().names
    return frame[order]


def _times_to_event(frame: pd.DataFrame, followup: np.ndarray, seed: int) -> pd.DataFrame:
    """Relapse of the responders and next treatment of everyone, censored at follow-up.

    Drawn from their own random stream (``default_rng([seed, 26])``), so the other columns of
    a cohort do not change with them. Times are months from rituximab start, rounded to 0.1
    and never beyond the patient's follow-up; the relapse columns are empty outside the
    responders (complete or partial response at 6 months).
    """
    n = len(frame)
    rng = np.random.default_rng([seed, 26])
    response = frame["response_m6"].astype(object).to_numpy()
    responder = np.isin(response, ["CR", "PR"])
    nk = pd.to_numeric(frame["nk_m0"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    nk = np.where(np.isfinite(nk), nk, np.nanmedian(nk) if np.isfinite(nk).any() else 0.0)
    rate = np.log(2) / 24 * np.where(response == "CR", 0.5, 1.0) * 1.3 ** ((nk - 150) / 100)
    relapse_at = 6 + rng.exponential(1.0, n) / rate
    treated_after_relapse = rng.random(n) < 0.80
    next_after_relapse = relapse_at + rng.exponential(2.0, n)
    next_nr = 6 + rng.exponential(4.0, n)
    next_rescue = rng.uniform(1.0, 6.0, n)
    next_lost = rng.exponential(10.0, n)
    rescue = frame["rescue_therapy_m6"].fillna(False).to_numpy(dtype=bool)
    next_at = np.where(
        responder,
        np.where(treated_after_relapse, next_after_relapse, np.inf),
        np.where(rescue, next_rescue, np.where(pd.isna(response), next_lost, next_nr)),
    )

    def censor(at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        event = at <= followup
        time = np.minimum(np.round(np.where(event, at, followup), 1), followup)
        return time, event

    relapse_time, relapse = censor(relapse_at)
    next_time, next_event = censor(next_at)
    return pd.DataFrame(
        {
            "relapse_months": np.where(responder, relapse_time, np.nan),
            "relapse": pd.array(
                [bool(r) if ok else None for r, ok in zip(relapse, responder, strict=True)],
                dtype="boolean",
            ),
            "next_treatment_months": next_time,
            "next_treatment": pd.array(next_event, dtype="boolean"),
        },
        index=frame.index,
    )


def _mark_text(n: int, seed: int | None) -> str:
    where = f" (n = {n}, seed {seed})" if seed is not None else f" (n = {n})"
    return f"{SYNTHETIC_MARK}{where}: no row is a real patient"


def sidecar_path(path: str | Path) -> Path:
    """The provenance sidecar of a cohort file: ``cohort.csv`` → ``cohort.csv.synthetic.json``.

    Parameters
    ----------
    path : str or Path
        Cohort file.

    Returns
    -------
    Path
        The file beside it whose name is the cohort's name followed by :data:`SIDECAR_SUFFIX`.
    """
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sidecar(name: str, n: int, seed: int | None, mark: str, sha256: str) -> str:
    """The sidecar's text (JSON) for the cohort file ``name`` whose bytes hash to ``sha256``."""
    record = {
        "mark": mark,
        "file": name,
        "n": n,
        "seed": seed,
        "itp_stats_version": __version__,
        "sha256": sha256,
    }
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def _recorded_mark(sidecar: bytes, sha256: str | Callable[[], str]) -> str:
    """The mark a sidecar's bytes record when the digest they record is ``sha256``, else ``""``.

    ``sha256`` may be a callable computing the digest, called only when the sidecar holds a
    mark (a file is hashed only when that can change the answer).
    """
    try:
        record = json.loads(sidecar.decode("utf-8"))
    except ValueError:  # not one itp-stats synth wrote (UnicodeDecodeError included)
        return ""
    mark = str(record.get("mark") or "") if isinstance(record, dict) else ""
    if not mark.startswith(SYNTHETIC_MARK):
        return ""
    digest = sha256() if callable(sha256) else sha256
    return mark if record.get("sha256") == digest else ""


def _sidecar_mark(path: Path, sha256: str | None) -> str:
    """The mark of ``path``'s sidecar when its digest is that of ``path``'s bytes, else ``""``."""
    try:
        sidecar = sidecar_path(path).read_bytes()
    except OSError:  # no sidecar
        return ""
    return _recorded_mark(sidecar, sha256 if sha256 is not None else lambda: _file_sha256(path))


def _inner_mark(path: Path) -> str:
    """The mark a file carries inside: a database table's comment, an XLSX's description, a
    Parquet file's schema metadata, or a CSV's first ``#`` line (older ``itp-stats synth``)."""
    from itp_stats.cohort.sql import is_source_file, read_source_file

    suffix = path.suffix.lower()
    if is_source_file(path):
        _, snapshot = read_source_file(path)
        return snapshot.comment.strip() if snapshot is not None else ""
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        text = book.properties.description or ""
        book.close()
        return text
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        meta = pq.read_schema(path).metadata or {}
        return meta.get(_PARQUET_KEY, b"").decode("utf-8", "replace")
    with open(path, "rb") as handle:
        first = handle.readline(4096)
    return first.decode("utf-8", "replace").lstrip("\ufeff").lstrip("# ").strip()


def _inner_mark_of(data: bytes, name: str) -> str:
    """The mark ``data`` (the bytes of the file ``name``) carry inside, as :func:`_inner_mark`."""
    from itp_stats.cohort.sql import is_source_file, source_comment

    suffix = Path(name).suffix.lower()
    if is_source_file(name):
        return source_comment(data)
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        text = book.properties.description or ""
        book.close()
        return text
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        meta = pq.read_schema(pa.BufferReader(data)).metadata or {}
        return meta.get(_PARQUET_KEY, b"").decode("utf-8", "replace")
    first = data[:4096].split(b"\n", 1)[0]
    return first.decode("utf-8", "replace").lstrip("\ufeff").lstrip("# ").strip()


def synthetic_mark(path: str | Path, *, sha256: str | None = None) -> str:
    """The provenance mark of a file :func:`write_cohort` wrote, or ``""``.

    Parameters
    ----------
    path : str or Path
        Cohort file (CSV, XLSX or Parquet), or the source file of a database table
        (:mod:`itp_stats.cohort.sql`): a table is marked by its comment, as recorded when the
        gate validated it (``COMMENT ON TABLE cohort IS 'synthetic cohort made by …'``, the
        mark of the file it was loaded from, as its sidecar records it).
    sha256 : str, optional
        SHA-256 (hex) of the file's bytes when the caller has it (the bytes it analyses);
        computed from the file otherwise.

    Returns
    -------
    str
        The mark's text (``synthetic cohort made by itp-stats synth (n = 72, seed …): …``)
        when the file carries it; ``""`` otherwise or when the file cannot be read.

    Notes
    -----
    The mark is read from, in this order: the sidecar (:func:`sidecar_path`), only when the
    SHA-256 it records is that of the file's bytes (a file changed after ``itp-stats synth``
    wrote it is no longer the cohort it made); then the file itself, as earlier versions
    wrote it (a first ``# synthetic cohort…`` line in a CSV), an XLSX's description, a
    Parquet file's metadata or a database table's comment.
    """
    path = Path(path)
    try:
        text = _sidecar_mark(path, sha256) or _inner_mark(path)
    except Exception:
        return ""
    return text if text.startswith(SYNTHETIC_MARK) else ""


def synthetic_mark_of(
    data: bytes, name: str, *, sidecar: bytes | None = None, sha256: str | None = None
) -> str:
    """The provenance mark of a cohort's bytes, read once with its sidecar's, or ``""``.

    What :func:`synthetic_mark` says of a file, said of bytes already read: a render reads
    the data file's bytes and its sidecar's once, checks the data against the gate's digest,
    analyses them, and takes their provenance from the same bytes, never from the path again
    (a file replaced meanwhile must not lend its mark to the data read before).

    Parameters
    ----------
    data : bytes
        The cohort file's bytes (or a database source file's), as analysed.
    name : str
        The file's name (its suffix says the format).
    sidecar : bytes, optional
        The bytes of its sidecar (:func:`sidecar_path`), read with ``data``; its mark counts
        only when the SHA-256 it records is that of ``data`` (a stale sidecar says nothing).
    sha256 : str, optional
        The SHA-256 of the file's bytes when the caller took it as it read them (then
        ``data`` may be their first bytes only, where a CSV's mark is): not computed again.

    Returns
    -------
    str
        The mark's text, or ``""``.
    """
    try:
        recorded = ""
        if sidecar:
            recorded = _recorded_mark(sidecar, sha256 or hashlib.sha256(data).hexdigest())
        text = recorded or _inner_mark_of(data, name)
    except Exception:  # bytes that are not the format their name says: no mark
        return ""
    return text if text.startswith(SYNTHETIC_MARK) else ""


def write_cohort(frame: pd.DataFrame, path: str | Path, *, seed: int | None = None) -> Path:
    """Write a synthetic cohort and its provenance sidecar, each atomically.

    Parameters
    ----------
    frame : pandas.DataFrame
        Cohort as returned by :func:`synthesize`.
    path : str or Path
        Destination; ``.csv`` (a plain CSV: ``,`` separated, UTF-8, a header line, then one
        line per patient, ``yes``/``no`` booleans, empty cells for missing values), ``.xlsx``
        (the mark also in the workbook's description) or ``.parquet`` (the mark also in the
        schema metadata).
    seed : int, optional
        The seed it was made with, written into the mark.

    Returns
    -------
    Path
        The written cohort file. Beside it, :func:`sidecar_path` (``<name>.synthetic.json``)
        holds ``mark`` (the provenance sentence), ``file`` (the cohort's name), ``n``,
        ``seed`` (``null`` when not given), ``itp_stats_version`` and ``sha256`` (of the
        cohort file's bytes).

    Notes
    -----
    Each file is written to a temporary file, then renamed: the cohort first, then its
    sidecar. Until the sidecar is renamed (or if writing it fails), a sidecar left from an
    earlier cohort does not match the new bytes, so the file is not taken for the cohort it
    described.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame.copy()
    mark = _mark_text(len(out), seed)
    with replaced_atomically(path, suffix=f".tmp{path.suffix}") as tmp:
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(out, preserve_index=False)
            meta = dict(table.schema.metadata or {})
            meta[_PARQUET_KEY] = mark.encode()
            pq.write_table(table.replace_schema_metadata(meta), tmp)
        else:
            for col in out.columns:
                if out[col].dtype == "boolean":
                    out[col] = out[col].map({True: "yes", False: "no"}, na_action="ignore")
            if suffix == ".xlsx":
                with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                    out.astype(object).where(out.notna(), None).to_excel(writer, index=False)
                    writer.book.properties.description = mark
                    writer.book.properties.keywords = "synthetic"
            else:
                with open(tmp, "w", encoding="utf-8", newline="") as handle:
                    out.to_csv(handle, index=False, lineterminator="\n", float_format="%.1f")
        digest = _file_sha256(tmp)  # the bytes renamed into place
    with replaced_atomically(sidecar_path(path)) as tmp:
        tmp.write_text(_sidecar(path.name, len(out), seed, mark, digest), encoding="utf-8")
    return path


def _run(args: argparse.Namespace) -> int:
    frame = synthesize(args.n, args.seed)
    try:
        path = write_cohort(frame, args.out, seed=args.seed)
    except OSError as exc:
        raise write_failure(exc, args.out, "the cohort (and its provenance sidecar)") from None
    side = sidecar_path(path)
    print(
        f"wrote {len(frame)} synthetic patients (seed {args.seed}) to {path} (provenance: {side})"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``synth`` sub-command."""
    parser = subparsers.add_parser(
        "synth",
        help="generate a synthetic cohort",
        description="Generate a synthetic cohort that follows the data dictionary. The data "
        "are synthetic: no value comes from a real patient. A CSV is plain (a header line, "
        "then one line per patient). Beside the file, OUT.synthetic.json records its "
        "provenance: the mark sentence, n, the seed, the itp-stats version and the SHA-256 of "
        "the file's bytes. Reports built from the file say the data are synthetic as long as "
        "its bytes match that digest; a file changed afterwards is no longer recognised by it.",
    )
    parser.add_argument("--n", type=int, default=72, help="number of patients (default 72)")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--out",
        required=True,
        help="output file (.csv, .xlsx or .parquet); its sidecar OUT.synthetic.json is "
        "written beside it",
    )
    parser.set_defaults(func=_run)
