"""The text-based XLSX reader gives what an XML parser (openpyxl) reads, on sheets laid out as Excel writes them."""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl import load_workbook

from app.services.imports import xlsx

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROOT = (f'<worksheet xmlns="{NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">')
# as Excel writes: shared strings, x14ac row attributes, styles, a formula with its cached value, an
# entity, a rich-text string (its phonetic guide not part of the text), a skipped row, a boolean, an error
ROWS = ('<row r="1" spans="1:4" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="s"><v>2</v></c></row>'
        '<row r="2" spans="1:4" x14ac:dyDescent="0.25"><c r="A2" s="1" t="s"><v>3</v></c>'
        '<c r="B2" s="2"><v>1234.5</v></c><c r="D2" t="str"><f>A2&amp;"x"</f><v>R&amp;D x</v></c></row>'
        '<row r="5" spans="1:4"><c r="A5" t="s"><v>4</v></c><c r="B5"><v>7</v></c><c r="C5" t="b"><v>1</v></c>'
        '<c r="D5" t="e"><v>#N/A</v></c></row>'
        '<row r="6"><c r="A6" t="inlineStr"><is><t xml:space="preserve"> a &lt;b&gt; </t></is></c><c r="C6"/></row>')
SHEET = f'{ROOT}<dimension ref="A1:D6"/><sheetData>{ROWS}</sheetData></worksheet>'
STRINGS = ('<si><t>Код</t></si><si><t>Цена</t></si><si><t/></si><si><t>R&amp;D</t></si>'
           '<si><r><rPr><b/></rPr><t>Дет</t></r><r><t xml:space="preserve">аль 1</t></r>'
           '<rPh sb="0" eb="1"><t>x</t></rPh></si>')


def _book(sheet: str, strings: str = STRINGS) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                      'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
                      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument'
                      '.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
                      '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override '
                      'PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument'
                      '.spreadsheetml.sharedStrings+xml"/></Types>')
        book.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                      'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                      'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        book.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{NS}" xmlns:r="http://schemas.'
                      'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" '
                      'r:id="rId1"/></sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                      'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                      'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                      '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                      'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        book.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst xmlns="{NS}">{strings}</sst>')
        book.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0" encoding="UTF-8"?>\r\n{sheet}')
    return out.getvalue()


def _trimmed(rows) -> list[tuple]:
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        out.append(tuple(row))
    return out


def test_reader_matches_an_xml_parser_on_an_excel_sheet():
    content = _book(SHEET)
    expected = _trimmed(load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
                        .iter_rows(values_only=True))
    got = _trimmed(xlsx.rows(content))
    assert got == expected
    assert got[1] == ("R&D", 1234.5, None, "R&D x")
    assert got[2] == got[3] == ()  # rows 3 and 4 are not in the file: a problem on row 5 is named row 5
    assert got[4] == ("Деталь 1", 7, True, "#N/A")
    assert got[5] == (" a <b> ",)


def test_prefixed_sheet_is_read_by_the_xml_parser():
    prefixed = re.sub(r"<(/?)(worksheet|dimension|sheetData|row|c|v|f|is|t)\b", r"<\1x:\2",
                      SHEET.replace(f'xmlns="{NS}"', f'xmlns:x="{NS}"'))
    assert list(xlsx.rows(_book(prefixed))) == list(xlsx.rows(_book(SHEET)))
