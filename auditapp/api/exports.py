"""Wave exports for Excel (DESIGN 11): the workbook, and each of its sheets as CSV."""
from __future__ import annotations

import tempfile

from flask import Response, current_app, send_file, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, validate

from ..constants import EXPORT_SHEETS, RESULT_READER_ROLES
from ..extensions import db
from ..services import access
from ..services.disputes import DisputePolicy
from ..services.exports import WaveExport, csv_chunks, export_file_name, write_xlsx
from .auth import allow, current_user
from .fields import Text

blp = Blueprint("exports", __name__, url_prefix="/api/v1", description="A wave's data for Excel.")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
PROGRAM_DESCRIPTION = "Checklist key, e.g. sales_visit: required when the wave ran more than one program"


class ExportArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    program = Text(validate=validate.Length(min=1, max=64), metadata={"description": PROGRAM_DESCRIPTION})


class CsvExportArgsSchema(ExportArgsSchema):
    sheet = Text(required=True, validate=validate.OneOf(EXPORT_SHEETS),
                 metadata={"description": "Which sheet of the workbook: " + ", ".join(EXPORT_SHEETS)})


def _export(code: str, program: str | None) -> WaveExport:
    config = current_app.config
    return WaveExport(db.session(), code, program, access.results_scope(current_user()),
                      min_ranked=config["MIN_RANKED_AUDITS"], dispute_policy=DisputePolicy.from_config(config),
                      reader=db.session)


@blp.route("/waves/<code>/export.xlsx")
@allow(*RESULT_READER_ROLES)
class WaveExportXlsx(MethodView):
    @blp.arguments(ExportArgsSchema, location="query")
    @blp.response(200, content_type=XLSX, description=(
        "The workbook: sheets audits, items, dealers and gaps, with the rows the caller may see"))
    def get(self, args, code: str):
        """A wave's published results of one program as an Excel workbook, as the caller may see them."""
        export = _export(code, args.get("program"))
        # Written to an anonymous temporary file (gone when closed) and sent from there: the workbook is
        # never held in memory, and XlsxWriter's constant-memory mode keeps only the current row.
        # The file outlives this view: the response closes it once sent.
        file = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            write_xlsx(export.sheets(), file)
            size = file.tell()
            file.seek(0)
        except BaseException:
            file.close()
            raise
        response = send_file(file, mimetype=XLSX, as_attachment=True, etag=False, max_age=0,
                             download_name=export_file_name(export.wave_code, export.program, "xlsx"))
        response.content_length = size  # a download with a progress bar: the file is finished
        return response


@blp.route("/waves/<code>/export.csv")
@allow(*RESULT_READER_ROLES)
class WaveExportCsv(MethodView):
    @blp.arguments(CsvExportArgsSchema, location="query")
    @blp.response(200, content_type=CSV, description=(
        "One sheet of the workbook as CSV, UTF-8 with a byte-order mark (so Excel reads the Chinese)"))
    def get(self, args, code: str):
        """One sheet of a wave's export as CSV, streamed row by row."""
        export = _export(code, args.get("program"))
        sheet = export.sheet(args["sheet"])
        name = export_file_name(export.wave_code, export.program, "csv", sheet.name)
        # The rows are produced while the response is sent, after the request's transaction has ended:
        # the items sheet reads the answers of published audits (never edited) in batches as it goes,
        # in a session that Flask-SQLAlchemy closes when the stream's context ends.
        return Response(stream_with_context(csv_chunks(sheet)), mimetype=CSV,
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
