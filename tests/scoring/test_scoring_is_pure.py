import subprocess
import sys


def test_scoring_and_checklists_import_neither_flask_nor_the_database():
    code = ("import sys, auditapp.scoring, auditapp.checklists; "
            "print(sorted(m for m in ('flask', 'sqlalchemy', 'flask_sqlalchemy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
