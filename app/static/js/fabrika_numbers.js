/* Numbers typed by people, read in the page exactly as the server reads them (app/domain/numbers.py,
 * parse_number; the rules are in its docstring): spaces of every kind group threes; with both "," and "."
 * the last one is the decimal separator; one mark several times groups; a single mark is the locale's
 * decimal symbol, or its grouping symbol before exactly three digits, or decimal before anything but
 * three digits; otherwise ("1.234" in Russian, whose grouping is a space) the number is ambiguous and,
 * as the server refuses it, FabrikaNumbers.parse gives null. So running totals never show a number the
 * server will not save. tests/domain/test_numbers_js.py runs the same cases through both. */
(function (root) {
  "use strict";
  var SPACES = " \u00a0\u202f\u2009", MINUS = "-\u2212", cache = {};

  function separators(locale) {
    if (!locale) return {dec: ".", group: null};
    if (cache[locale]) return cache[locale];
    var dec = ".", group = null;
    try {
      new Intl.NumberFormat(locale.replace("_", "-")).formatToParts(12345.6).forEach(function (p) {
        if (p.type === "decimal") dec = p.value;
        if (p.type === "group") group = p.value;
      });
    } catch (e) {
      return {dec: ".", group: null};
    }
    if (group !== null && SPACES.indexOf(group) >= 0) group = null;  /* spaces group in every locale */
    return (cache[locale] = {dec: dec, group: group});
  }
  function grouped(integer, group) {  /* the integer without its grouping mark; every later group has 3 digits */
    var parts = integer.split(group);
    if (!/^[0-9]{1,3}$/.test(parts[0])) throw "nan";
    for (var i = 1; i < parts.length; i++) if (!/^[0-9]{3}$/.test(parts[i])) throw "nan";
    return parts.join("");
  }
  function split(body, dec, group) {
    var marks = body.replace(/[^.,]/g, "");
    if (!marks) return [body, ""];
    if (marks.indexOf(",") >= 0 && marks.indexOf(".") >= 0) {  /* rule 3: the last one is decimal */
      var point = marks.charAt(marks.length - 1), at = body.lastIndexOf(point);
      return [grouped(body.slice(0, at), point === "." ? "," : "."), body.slice(at + 1)];
    }
    var mark = marks.charAt(0);
    if (marks.length > 1) return [grouped(body, mark), ""];  /* rule 4 */
    var integer = body.slice(0, body.indexOf(mark)), fraction = body.slice(body.indexOf(mark) + 1);
    if (mark === dec || fraction.length !== 3 || integer === "" || integer === "0") return [integer, fraction];
    if (mark === group) return [grouped(body, mark), ""];
    throw "ambiguous";
  }
  function spaced(text) {  /* rule 1: spaces group the integer part; the one mark left is decimal */
    text = text.replace(/[\u00a0\u202f\u2009]/g, " ");
    var marks = text.replace(/[^.,]/g, "");
    if (marks.length > 1) throw "nan";
    var at = marks ? text.indexOf(marks) : text.length;
    return [grouped(text.slice(0, at), " "), marks ? text.slice(at + 1) : ""];
  }
  /* The number `text` means in `locale` (a float, for display), or null when the server would refuse it. */
  function parse(text, locale) {
    var raw = String(text === null || text === undefined ? "" : text).trim(), sign = "";
    if (raw && (MINUS + "+").indexOf(raw.charAt(0)) >= 0) {
      sign = MINUS.indexOf(raw.charAt(0)) >= 0 ? "-" : "";
      raw = raw.slice(1).replace(/^\s+/, "");
    }
    var parts;
    try {
      parts = /[ \u00a0\u202f\u2009]/.test(raw) ? spaced(raw) : split(raw, separators(locale).dec,
                                                                     separators(locale).group);
    } catch (e) {
      return null;
    }
    var integer = parts[0], fraction = parts[1];
    if (!(integer || fraction) || (integer && !/^[0-9]+$/.test(integer)) || (fraction && !/^[0-9]+$/.test(fraction))) {
      return null;
    }
    return parseFloat(sign + (integer || "0") + (fraction ? "." + fraction : ""));
  }
  root.FabrikaNumbers = {parse: parse};
  if (typeof module !== "undefined" && module.exports) module.exports = root.FabrikaNumbers;
})(typeof window !== "undefined" ? window : globalThis);
