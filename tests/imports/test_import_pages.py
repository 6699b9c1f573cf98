"""The import pages: a role imports what it owns, through upload, mapping, preview and Import."""

from __future__ import annotations

import io
import re
import socket
import subprocess

from sqlalchemy import func, select

from app.extensions import db
from app.models.catalog import Item
from app.models.imports import ImportMapping, ImportProgress, ImportRun
from tests import factories as f


def _upload(client, kind: str, content: bytes, name: str = "items.csv", **form):
    data = {"file": (io.BytesIO(content), name), "file_locale": "ru", **form}
    return client.post(f"/imports/upload/{kind}", data=data, content_type="multipart/form-data")


def _killed_while_importing(run_id: int) -> None:
    """The progress row a process killed mid-import leaves: phase set, its pid gone."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    row = db.session.get(ImportProgress, run_id)
    row.phase, row.worker = "importing", f"{socket.gethostname()[:60]}:{gone.pid}"
    db.session.commit()


def test_upload_map_preview_import_in_spanish(app, login_as):
    f.unit("pcs")
    client = login_as("Admin")
    client.get("/lang/es")
    start = client.get("/imports/start/").get_data(as_text=True)
    assert "Plantilla (XLSX)" in start and "Existencias iniciales" in start
    template = client.get("/imports/template/items")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    resp = _upload(client, "items", "Artículo;Nombre;Unidad;Precio\nX-1;Uno;pcs;1 234,50\nX-2;Dos;caja;1\n".encode())
    assert resp.status_code == 302
    run_id = int(re.search(r"/run/(\d+)", resp.headers["Location"]).group(1))
    page = client.get(f"/imports/run/{run_id}").get_data(as_text=True)
    assert "no tiene columna" in page or "Código" in page  # "Artículo" maps to nothing: the code is unmapped
    mapping = {"map_code": "Artículo", "map_name": "Nombre", "map_unit": "Unidad", "map_sale_price": "Precio"}
    client.post(f"/imports/run/{run_id}/map", data=mapping)
    page = client.get(f"/imports/run/{run_id}").get_data(as_text=True)
    assert "caja" in page and 'id="import-apply"' in page and "disabled" in page
    client.post(f"/imports/run/{run_id}/apply")
    assert db.session.get(ImportRun, run_id).state == "failed"
    assert db.session.scalar(select(func.count()).select_from(Item)) == 0
    remembered = db.session.scalar(select(ImportMapping.mapping))
    assert "Artículo" in remembered
    resp = _upload(client, "items", "Artículo;Nombre;Unidad;Precio\nX-1;Uno;pcs;1 234,50\n".encode())
    run_id = int(re.search(r"/run/(\d+)", resp.headers["Location"]).group(1))
    _killed_while_importing(run_id)  # its process died: "interrupted", Import offered again
    page = client.get(f"/imports/run/{run_id}").get_data(as_text=True)
    assert "La importación se detuvo antes del final" in page and 'id="import-apply"' in page
    assert 'id="import-progress"' not in page
    client.post(f"/imports/run/{run_id}/apply")  # the remembered mapping applies to the next file
    assert db.session.scalar(select(Item.sale_price)) == 1234.5
    listing = client.get("/imports/list/").get_data(as_text=True)
    assert "Importado" in listing and "Rechazado" in listing and "Artículos" in listing


def test_a_role_imports_only_what_it_owns(app, login_as):
    client = login_as("Sales")
    page = client.get("/imports/start/").get_data(as_text=True)
    assert 'id="kind-partners"' in page and 'id="kind-items"' not in page
    assert _upload(client, "opening_stock", b"a;b\n1;2\n").status_code == 403
    assert login_as("Service").get("/imports/start/").status_code in (302, 403)
