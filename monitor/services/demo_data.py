"""The fictional places and people of the demo. Every name here is invented.

Places are set in real regions so that maps and country pages have something true to the
geography to show, but no record describes a real facility.
"""

from __future__ import annotations

#: (key, name, other names, ISO3, admin area, locality, lat, lon, type, operator kind,
#:  operator name, capacity, status)
FACILITIES: list[tuple] = [
    ("demo-01", "Estación Migratoria Las Palmas", ["EM Las Palmas"], "MEX", "Chiapas", "Tapachula",
     14.905, -92.262, "immigration_detention_centre", "public", "Instituto Nacional de Migración", 960, "in_use"),
    ("demo-02", "Estancia Provisional Río Bravo", [], "MEX", "Tamaulipas", "Reynosa",
     26.071, -98.296, "immigration_detention_centre", "public", "Instituto Nacional de Migración", 180, "in_use"),
    ("demo-03", "Albergue de Niñez Migrante Tonalá", ["Albergue DIF Tonalá"], "MEX", "Chiapas", "Tonalá",
     16.089, -93.752, "children_shelter", "public", "Sistema DIF estatal", 60, "in_use"),
    ("demo-04", "Estación Migratoria Iztapalapa Oriente", [], "MEX", "Ciudad de México", "Iztapalapa",
     19.357, -99.061, "immigration_detention_centre", "public", "Instituto Nacional de Migración", 430, "in_use"),
    ("demo-05", "Centro de Aprehensión Frontera Tecún", ["Centro Tecún"], "GTM", "San Marcos", "Ayutla",
     14.675, -92.145, "border_post", "public", "Dirección General de Migración", 80, "in_use"),
    ("demo-06", "Albergue Temporal Casa Esperanza", [], "GTM", "Guatemala", "Ciudad de Guatemala",
     14.628, -90.522, "closed_reception_centre", "public", "Instituto Guatemalteco de Migración", 150, "in_use"),
    ("demo-07", "CIE Puerto de la Bahía", ["Centro de Internamiento de Extranjeros de la Bahía"], "ESP",
     "Andalucía", "Algeciras", 36.129, -5.447, "immigration_detention_centre", "public", "Dirección General de la Policía", 190, "in_use"),
    ("demo-08", "Sala de Inadmitidos Aeropuerto Norte", [], "ESP", "Comunidad de Madrid", "Madrid",
     40.494, -3.567, "transit_zone", "public", "Policía Nacional", 40, "in_use"),
    ("demo-09", "Comisaría Provincial del Estrecho", [], "ESP", "Andalucía", "Tarifa",
     36.014, -5.604, "police_station", "public", "Policía Nacional", 25, "in_use"),
    ("demo-10", "Centre de rétention administrative de Saint-Éloi", ["CRA Saint-Éloi"], "FRA",
     "Île-de-France", "Saint-Éloi-sur-Seine", 48.902, 2.471, "immigration_detention_centre", "public", "Police aux frontières", 120, "in_use"),
    ("demo-11", "Zone d'attente de l'aéroport du Val-d'Orge", ["ZAPI Val-d'Orge"], "FRA",
     "Île-de-France", "Orly", 48.728, 2.366, "transit_zone", "public", "Police aux frontières", 70, "in_use"),
    ("demo-12", "Κέντρο Κράτησης Αλλοδαπών Ακρίτα", ["Akritas Pre-removal Centre"], "GRC",
     "Ανατολική Μακεδονία και Θράκη", "Ορεστιάδα", 41.503, 26.531, "immigration_detention_centre", "public", "Hellenic Police", 300, "in_use"),
    ("demo-13", "Harbourside Immigration Removal Centre", ["Harbourside IRC"], "GBR", "England",
     "Southampton", 50.897, -1.404, "immigration_detention_centre", "private", "Meridian Custodial Services Ltd", 390, "in_use"),
    ("demo-14", "North Valley Processing Center", [], "USA", "Texas", "Pearsall",
     28.892, -99.095, "immigration_detention_centre", "private", "Lone Star Detention Partners LLC", 1800, "in_use"),
    ("demo-15", "County Correctional Annex B", [], "USA", "Arizona", "Florence",
     33.031, -111.387, "prison", "public", "County Sheriff's Office", 250, "in_use"),
    ("demo-16", "Geri Gönderme Merkezi Çamlıbel", ["Çamlıbel Removal Centre"], "TUR", "Van", "Van",
     38.501, 43.373, "immigration_detention_centre", "public", "Göç İdaresi Başkanlığı", 750, "in_use"),
    ("demo-17", "Puesto Fronterizo El Ceibo (cerrado)", [], "GTM", "Petén", "La Libertad",
     17.257, -90.989, "border_post", "public", "Dirección General de Migración", 20, "closed"),
]

#: (email, name, role, organisation, password) — demo passwords, printed by `monitor demo`.
USERS: list[tuple[str, str, str, str, str]] = [
    ("admin@demo.example", "Ana Admin", "admin", "Red Ciudadana de Monitoreo (demo)", "demo-admin-pass"),
    ("coordinadora@demo.example", "Carmen Coordinadora", "coordinator", "Red Ciudadana de Monitoreo (demo)", "demo-coord-pass"),
    ("monitor@demo.example", "Mateo Monitor", "monitor", "Red Ciudadana de Monitoreo (demo)", "demo-monitor-pass"),
    ("monitora@demo.example", "Lucía Monitora", "monitor", "Red Ciudadana de Monitoreo (demo)", "demo-monitora-pass"),
    ("viewer@demo.example", "Víctor Viewer", "viewer", "Red Ciudadana de Monitoreo (demo)", "demo-viewer-pass"),
    ("coordinator@other.example", "Olga Other", "coordinator", "Observatoire des lieux d'enfermement (demo)", "demo-other-pass"),
]
