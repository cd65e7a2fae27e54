"""Cell formats as geometry: the electrode cavity, the outer volume and the housing mass of one cell.

Three formats, each a small pure function of the outer dimensions and the housing build-up,
vectorized over scenarios (arguments broadcast together):

- prismatic hard case: an aluminium can (four walls and a bottom of ``wall``), a lid of
  ``lid``, a clearance on every side between the electrode stack and the can (insulation
  film, wound-roll tolerance) and a headspace under the lid for tabs, terminals and the vent.
- pouch: two laminate sheets (``laminate_um`` thick, ``laminate_g_m2`` each) sealed on the
  sides (``seal``) with the tabs sealed in the top ``headspace``.
- cylindrical, by diameter × height: a can (wall and bottom ``wall``), a cap assembly (vent,
  current interrupt, gasket, terminal) counted as a disc of ``lid`` solid thickness, a wound
  roll around a mandrel (core) of ``mandrel`` diameter, a clearance to the can and a headspace
  for the cap, the crimp and the tabs.

The stack itself never fills the cavity completely (rounded ends of flat-wound rolls, gaps
between stacked sheets, the core's edge): ``stack_fill`` is the share of the cavity the
electrode layers occupy. A cell's energy is then cavity × stack_fill / (stack volume per
kWh), its Wh/L the energy over the outer volume, and its housing mass the can (or laminate)
plus the lid and the per-cell parts (terminals, tabs, cap, insulation: ``extras``).

Units: lengths mm, densities g/cm³, volumes L, masses kg.

References:
    Nelson et al., BatPaC (Argonne ANL-12/55, 2019), ch. 3: cell housing from the can wall and
    the cell's outer dimensions, cell volume beyond the electrode stack.
    Voß et al., Energy Environ. Sci. (2025): sodium-ion and LFP cell formats and their volumetric
    penalties.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FORMATS = ("prismatic", "pouch", "cylindrical")
"""Cell formats the engine models."""

FORMAT_PARAMETERS: dict[str, tuple[str, ...]] = {
    "prismatic": ("cell_length_mm", "cell_thickness_mm", "cell_height_mm", "can_wall_mm", "can_density_g_cm3", "lid_mm",
                  "clearance_mm", "headspace_mm"),
    "pouch": ("cell_length_mm", "cell_thickness_mm", "cell_height_mm", "laminate_um", "laminate_g_m2", "seal_mm", "headspace_mm"),
    "cylindrical": ("cell_diameter_mm", "cell_height_mm", "can_wall_mm", "can_density_g_cm3", "lid_mm", "mandrel_mm",
                    "clearance_mm", "headspace_mm"),
}
"""Design parameters each format reads (besides ``stack_fill`` and ``cell_extras_kg``)."""

MM3_PER_L = 1e6


@dataclass(frozen=True)
class Housing:
    """Geometry of one cell (arrays per scenario).

    Attributes:
        cavity_l: volume available to the electrode stack (L).
        outer_l: outer volume of the cell (L), the basis of Wh/L.
        housing_kg: can or laminate, lid and per-cell parts (kg).
    """

    cavity_l: np.ndarray
    outer_l: np.ndarray
    housing_kg: np.ndarray


def prismatic(*, length_mm, thickness_mm, height_mm, wall_mm, can_density_g_cm3, lid_mm, clearance_mm, headspace_mm,
              extras_kg) -> Housing:
    """Prismatic hard-case cell.

    cavity = (L − 2w − 2c)(T − 2w − 2c)(H − w − lid − headspace);
    can = L·T·(H − lid) − (L − 2w)(T − 2w)(H − lid − w) (four walls and a bottom, height H − lid);
    housing = (can + L·T·lid) × ρ + extras.
    """
    inner_l = length_mm - 2.0 * wall_mm
    inner_t = thickness_mm - 2.0 * wall_mm
    can_h = height_mm - lid_mm
    can_mm3 = length_mm * thickness_mm * can_h - inner_l * inner_t * (can_h - wall_mm)
    lid_mm3 = length_mm * thickness_mm * lid_mm
    cavity = (inner_l - 2.0 * clearance_mm) * (inner_t - 2.0 * clearance_mm) * (can_h - wall_mm - headspace_mm)
    # mm³ × g/cm³ = 1e-3 cm³ × g/cm³ = 1e-3 g = 1e-6 kg
    housing = (can_mm3 + lid_mm3) * can_density_g_cm3 * 1e-6 + extras_kg
    return Housing(cavity / MM3_PER_L, length_mm * thickness_mm * height_mm / MM3_PER_L, housing)


def pouch(*, length_mm, thickness_mm, height_mm, laminate_um, laminate_g_m2, seal_mm, headspace_mm, extras_kg) -> Housing:
    """Pouch cell: L wide (with the side seals), H tall (with the tab seal), T thick.

    cavity = (L − 2·seal)(H − headspace)(T − 2·laminate); laminate = two sheets wrapping the
    stack: 2 × (L·H + (L + H)·T) × areal mass; housing = laminate + extras (tabs, tab film).
    """
    lam_mm = laminate_um * 1e-3
    cavity = (length_mm - 2.0 * seal_mm) * (height_mm - headspace_mm) * (thickness_mm - 2.0 * lam_mm)
    sheet_m2 = 2.0 * (length_mm * height_mm + (length_mm + height_mm) * thickness_mm) * 1e-6
    housing = sheet_m2 * laminate_g_m2 * 1e-3 + extras_kg
    return Housing(cavity / MM3_PER_L, length_mm * thickness_mm * height_mm / MM3_PER_L, housing)


def cylindrical(*, diameter_mm, height_mm, wall_mm, can_density_g_cm3, lid_mm, mandrel_mm, clearance_mm, headspace_mm,
                extras_kg) -> Housing:
    """Cylindrical cell of diameter D and height H.

    roll outer diameter d = D − 2w − 2c; cavity = π/4 (d² − mandrel²)(H − w − headspace);
    can = π/4 (D² − (D − 2w)²) H + π/4 D² (w + lid) (tube, bottom and the cap assembly as a
    disc of solid thickness lid); housing = can × ρ + extras (tabs, insulators).
    """
    roll_d = diameter_mm - 2.0 * wall_mm - 2.0 * clearance_mm
    roll_h = height_mm - wall_mm - headspace_mm
    cavity = np.pi / 4.0 * (roll_d**2 - mandrel_mm**2) * roll_h
    tube = np.pi / 4.0 * (diameter_mm**2 - (diameter_mm - 2.0 * wall_mm) ** 2) * height_mm
    can_mm3 = tube + np.pi / 4.0 * diameter_mm**2 * (wall_mm + lid_mm)
    housing = can_mm3 * can_density_g_cm3 * 1e-6 + extras_kg
    return Housing(cavity / MM3_PER_L, np.pi / 4.0 * diameter_mm**2 * height_mm / MM3_PER_L, housing)


def housing(fmt: str, d) -> Housing:
    """Geometry of format ``fmt`` from a design's parameters ``d`` (name → value, see ``FORMAT_PARAMETERS``)."""
    extras = d["cell_extras_kg"]
    if fmt == "prismatic":
        return prismatic(length_mm=d["cell_length_mm"], thickness_mm=d["cell_thickness_mm"], height_mm=d["cell_height_mm"],
                         wall_mm=d["can_wall_mm"], can_density_g_cm3=d["can_density_g_cm3"], lid_mm=d["lid_mm"],
                         clearance_mm=d["clearance_mm"], headspace_mm=d["headspace_mm"], extras_kg=extras)
    if fmt == "pouch":
        return pouch(length_mm=d["cell_length_mm"], thickness_mm=d["cell_thickness_mm"], height_mm=d["cell_height_mm"],
                     laminate_um=d["laminate_um"], laminate_g_m2=d["laminate_g_m2"], seal_mm=d["seal_mm"],
                     headspace_mm=d["headspace_mm"], extras_kg=extras)
    if fmt == "cylindrical":
        return cylindrical(diameter_mm=d["cell_diameter_mm"], height_mm=d["cell_height_mm"], wall_mm=d["can_wall_mm"],
                           can_density_g_cm3=d["can_density_g_cm3"], lid_mm=d["lid_mm"], mandrel_mm=d["mandrel_mm"],
                           clearance_mm=d["clearance_mm"],
                           headspace_mm=d["headspace_mm"], extras_kg=extras)
    raise ValueError(f"unknown cell format {fmt!r}; expected one of {', '.join(FORMATS)}")


def fit_problems(fmt: str, d) -> list[tuple[str, str]]:
    """Why a design's dimensions cannot hold an electrode stack: (parameter to blame, message) pairs.

    Scalar check for validation (an empty list when the format fits). The parameter named is
    the one a planner most likely mistyped: the outer dimension that leaves no room.
    """
    def f(name: str) -> float:
        return float(np.asarray(d[name]))

    out: list[tuple[str, str]] = []
    if fmt == "cylindrical":
        dia, wall, clear, mandrel = f("cell_diameter_mm"), f("can_wall_mm"), f("clearance_mm"), f("mandrel_mm")
        roll = dia - 2 * wall - 2 * clear
        if roll <= mandrel:
            out.append(("cell_diameter_mm", f"a {dia:g} mm cylinder is too small for its can wall ({wall:g} mm), clearance "
                        f"({clear:g} mm) and mandrel ({mandrel:g} mm): the wound roll would be {roll:g} mm across, "
                        f"not more than the mandrel"))
        room = f("cell_height_mm") - wall - f("headspace_mm")
        if room <= 0:
            out.append(("cell_height_mm", f"a {f('cell_height_mm'):g} mm tall cylinder leaves no height for the roll after "
                        f"the bottom ({wall:g} mm) and headspace ({f('headspace_mm'):g} mm)"))
        return out
    if fmt == "prismatic":
        wall, clear = f("can_wall_mm"), f("clearance_mm")
        for name in ("cell_length_mm", "cell_thickness_mm"):
            room = f(name) - 2 * wall - 2 * clear
            if room <= 0:
                out.append((name, f"{name} = {f(name):g} mm leaves no room inside two can walls ({wall:g} mm) and "
                            f"clearances ({clear:g} mm)"))
        room = f("cell_height_mm") - f("lid_mm") - wall - f("headspace_mm")
        if room <= 0:
            out.append(("cell_height_mm", f"cell_height_mm = {f('cell_height_mm'):g} mm leaves no height for the stack after "
                        f"the lid ({f('lid_mm'):g} mm), bottom ({wall:g} mm) and headspace ({f('headspace_mm'):g} mm)"))
        return out
    if fmt == "pouch":
        if f("cell_length_mm") - 2 * f("seal_mm") <= 0:
            out.append(("cell_length_mm", f"cell_length_mm = {f('cell_length_mm'):g} mm is not wider than its two side seals "
                        f"({f('seal_mm'):g} mm each)"))
        if f("cell_height_mm") - f("headspace_mm") <= 0:
            out.append(("cell_height_mm", f"cell_height_mm = {f('cell_height_mm'):g} mm is not taller than its tab seal "
                        f"(headspace {f('headspace_mm'):g} mm)"))
        if f("cell_thickness_mm") - 2 * f("laminate_um") * 1e-3 <= 0:
            out.append(("cell_thickness_mm", f"cell_thickness_mm = {f('cell_thickness_mm'):g} mm is not thicker than its two "
                        f"laminate sheets ({f('laminate_um'):g} um each)"))
        return out
    return [("cell_format", f"unknown cell format {fmt!r}; expected one of {', '.join(FORMATS)}")]
