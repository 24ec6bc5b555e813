"""Sign-in timing: an unknown name must cost what a known name with a wrong password costs.

Run by hand from the repository root:

    .venv/bin/python benchmarks/login_timing.py [--tries 15]

Uses the production hash (werkzeug's scrypt) on a throw-away SQLite database with the demo
schools, posts the sign-in form through Flask's test client (the failures are forgotten after
each try, so the back-off never answers instead of the hash), and prints the median and
spread of each case.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.extensions import db  # noqa: E402
from core.models import AuditEvent  # noqa: E402
from helpline.app import create_app  # noqa: E402
from helpline.demo import load_demo  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tries", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{tmp}/b.db",
            "DATA_DIR": f"{tmp}/data", "SCHEDULER_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        })
        with app.app_context():
            db.create_all()
            load_demo("demo-password")
        client = app.test_client()
        cases = {"known name, wrong password": "operator",
                 "unknown name": "no-such-user",
                 "disabled account": "gone"}
        with app.app_context():
            from core.models import User

            user = User(username="gone", name="Уволен", roles=["operator"], active=False)
            user.set_password("whatever-123")
            db.session.add(user)
            db.session.commit()
        results = {}
        for label, name in cases.items():
            times = []
            for _ in range(args.tries):
                started = time.perf_counter()
                response = client.post("/login", data={"username": name, "password": "wrong"})
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 400, response.status_code
                assert re.search("Неверное", response.get_data(as_text=True))
                with app.app_context():  # forget the failure: measure the hash, not the back-off
                    db.session.execute(delete(AuditEvent))
                    db.session.commit()
            results[label] = times
        for label, times in results.items():
            print(f"{label:28s} median {statistics.median(times):6.1f} ms  "
                  f"min {min(times):6.1f}  max {max(times):6.1f}  (n={len(times)})")


if __name__ == "__main__":
    main()
