"""The maps' words and the density classes: labels from one table, legends tied to layers,
rate classes that cover every value."""

from __future__ import annotations

import doctest
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

import api.maps.access
import api.maps.pages
import geo.hotspot_maps
import geo.hotspots
import geo.map_labels
from geo import map_labels as ml
from geo.density_maps import density_legend
from geo.emerging_maps import emerging_legend
from geo.hotspot_maps import class_legend, count_colour, rate_breaks, rate_legend


def test_the_examples_in_the_docstrings_hold() -> None:
    for module in (geo.map_labels, geo.hotspot_maps, api.maps.access, api.maps.pages):
        failed, tried = doctest.testmod(module)
        assert tried > 0 and failed == 0, module.__name__
    finder = doctest.DocTestFinder()
    (per_km2,) = [t for t in finder.find(geo.hotspots) if t.name.endswith(".per_km2")]
    assert doctest.DocTestRunner().run(per_km2).failed == 0


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1))
def test_rate_classes_are_ascending_and_cover_every_value(values: list[float]) -> None:
    breaks = rate_breaks(values)
    assert breaks == sorted(set(breaks))
    assert max(values) <= breaks[-1] or breaks == [0.0]
    # the largest value is in the top class, the smallest in the first
    assert count_colour(max(values), breaks) == count_colour(breaks[-1], breaks)
    assert count_colour(min(values), breaks) == count_colour(0.0, breaks)
    # two significant digits at most
    for b in breaks:
        assert len(Decimal(repr(b)).normalize().as_tuple().digits) <= 2, b


def test_legends_are_titled_with_their_layers_label_and_tied_to_it() -> None:
    gi = class_legend().render()
    assert f'data-layer="{ml.GI}"' in gi and f"<b>{ml.GI}</b>" in gi
    rate = rate_legend([10.0, 200.0]).render()
    assert f'data-layer="{ml.PER_KM2}"' in rate and "件/km²" in rate and "10–200" in rate
    kde = density_legend(900.0, bandwidth_m=80).render()
    assert f'data-layer="{ml.KDE}"' in kde and f"{ml.UNIT_KM2}，带宽80米" in kde
    assert "平方公里" not in kde
    emerging = emerging_legend([], steps=52, layer=f"{ml.EMERGING}（0）").render()
    assert f'data-layer="{ml.EMERGING}（0）"' in emerging
    untied = emerging_legend([], steps=52).render()
    assert "data-layer" not in untied
