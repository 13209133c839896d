"""The data dictionary in docs/ is the one generated from the pandera models."""

from warehouse.dictionary import PATH, render


def test_data_dictionary_is_up_to_date() -> None:
    assert PATH.read_text() == render(), "run `python -m warehouse.dictionary` and commit docs/data-dictionary.md"
