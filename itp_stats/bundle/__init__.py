"""The submission bundle: one ZIP of everything a journal is sent, and its verification.

:mod:`~itp_stats.bundle.contents` gathers the rendered documents, figure files, tables, the
statistical analysis plan, the checklist and the validation record of the last render;
:mod:`~itp_stats.bundle.manifest` describes them (each file's SHA-256, the data, study and
dictionary digests, the code and package versions); :mod:`~itp_stats.bundle.meca` adds the
MECA layout Quarto's manuscripts use; :mod:`~itp_stats.bundle.write` writes the ZIP and
:mod:`~itp_stats.bundle.verify` checks one. The layer comes after ``render/``: it reads what
a render published and imports nothing of the layers that produced it but their public names.
"""

__all__: list[str] = []
