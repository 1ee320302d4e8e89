/*
 * The decision aid of a dossier's decision tables page (docs/decisions.md).
 *
 * It reads the decision tables that the build exported as JSON beside the page
 * (beslisregels.json: tooling/decision_tables.compile_decisions) and evaluates a case in
 * the browser exactly as tooling/decision_tables.evaluate does in Python: three-valued
 * (an input not given is unknown; a date known to the month or year is a range of days),
 * the same hit policies, the same answer. tests/test_browser_decisions.py holds the two
 * to the same answers for every case in the dossiers' cases/ folders.
 *
 * A file of the site's own (the Content-Security-Policy runs no inline script); it does
 * nothing on pages without a decision aid. It writes text only (textContent), never HTML.
 */
(function () {
  "use strict";

  var DAY = 86400000;

  // -- evaluation: a line-by-line port of tooling/decision_tables.py ----------------------

  function months(start, end) {
    var a = new Date(start * DAY);
    var b = new Date(end * DAY);
    var m = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
    if (m > 0 && b.getUTCDate() < a.getUTCDate()) {
      m -= 1;
    } else if (m < 0 && b.getUTCDate() > a.getUTCDate()) {
      m += 1;
    }
    return m;
  }

  function merge(groups) {
    var merged = [];
    groups.forEach(function (group) {
      group.forEach(function (name) {
        if (merged.indexOf(name) < 0) {
          merged.push(name);
        }
      });
    });
    return merged;
  }

  function isRange(value) {
    return Array.isArray(value);
  }

  function points(periods, when) {
    var lo = when[0];
    var hi = when[1];
    var found = [lo];
    periods.forEach(function (p) {
      [p.start, p.end].forEach(function (edge) {
        if (edge !== null && lo < edge && edge <= hi && found.indexOf(edge) < 0) {
          found.push(edge);
        }
      });
    });
    return found;
  }

  function status(periods, variant, point) {
    for (var i = 0; i < periods.length; i++) {
      var p = periods[i];
      if (variant !== null && p.variants.length && p.variants.indexOf(variant) < 0) {
        continue;
      }
      if ((p.start === null || p.start <= point) && (p.end === null || point < p.end)) {
        return p.status;
      }
    }
    return "none";
  }

  function formula(program, item, env, needs) {
    if (item.op === "months_between") {
      var a = env[item.args[0]];
      var b = env[item.args[1]];
      if (!isRange(a) || !isRange(b)) {
        return [null, merge(item.args.map(function (n) { return needs[n]; }))];
      }
      return [[months(a[1], b[0]), months(a[0], b[1])], []];
    }
    var names = [item.indication, item.date].filter(function (n) { return n in env; });
    var indication = item.indication in env ? env[item.indication] : item.indication;
    var when = env[item.date];
    var variant = item.variant ? env[item.variant] : null;
    if (typeof indication !== "string" || !isRange(when)) {
      return [null, merge(names.map(function (n) { return needs[n]; }))];
    }
    var entry = program.coverage[indication] || { variants: [], periods: [] };
    var variants = typeof variant === "string" ? [variant] : (entry.variants.length ? entry.variants.slice() : [null]);
    var at = points(entry.periods, when);
    var byVariant = variants.map(function (v) {
      var seen = [];
      at.forEach(function (p) {
        var s = status(entry.periods, v, p);
        if (seen.indexOf(s) < 0) { seen.push(s); }
      });
      return seen;
    });
    var all = merge(byVariant);
    if (all.length === 1) {
      return [all[0], []];
    }
    var missing = byVariant.some(function (s) { return s.length > 1; }) ? [item.date] : [];
    if (byVariant.length > 1) {
      missing.unshift(item.variant);
    }
    return [null, missing];
  }

  function ref(program, r, when) {
    if (r.range) {
      return [r.range[0], r.range[1]];
    }
    var values = program.rules[r.rule].values;
    var chosen;
    if (isRange(when)) {
      chosen = values.filter(function (v) {
        return (v.start === null || v.start <= when[1]) && (v.end === null || when[0] < v.end);
      }).map(function (v) { return v.value; });
    } else {
      chosen = values.map(function (v) { return v.value; });
    }
    if (!chosen.length) {
      chosen = values.map(function (v) { return v.value; });
    }
    return [Math.min.apply(null, chosen) * r.scale, Math.max.apply(null, chosen) * r.scale];
  }

  function test(program, t, value, when) {
    if (t.op === "in") {
      return t.values.indexOf(value) >= 0;
    }
    if (t.op === "not_in") {
      return t.values.indexOf(value) < 0;
    }
    var lo = value[0];
    var hi = value[1];
    var cd = ref(program, t.ref, when);
    var c = cd[0];
    var d = cd[1];
    if (t.op === "lt") { return hi < c ? true : (lo >= d ? false : null); }
    if (t.op === "le") { return hi <= c ? true : (lo > d ? false : null); }
    if (t.op === "gt") { return lo > d ? true : (hi <= c ? false : null); }
    return lo >= d ? true : (hi < c ? false : null);
  }

  function row(program, r, env, when) {
    var unknown = [];
    var columns = Object.keys(r.when);
    for (var i = 0; i < columns.length; i++) {
      var column = columns[i];
      var value = column in env ? env[column] : null;
      if (value === null) {
        unknown.push(column);
        continue;
      }
      var tests = r.when[column];
      for (var j = 0; j < tests.length; j++) {
        var state = test(program, tests[j], value, when);
        if (state === false) {
          return [false, []];
        }
        if (state === null) {
          unknown.push(column);
          break;
        }
      }
    }
    return unknown.length ? [null, unknown] : [true, []];
  }

  function outcome(r) {
    if (r.silent) {
      return "silent:" + r.n;
    }
    return JSON.stringify(Object.keys(r.then).sort().map(function (k) { return [k, r.then[k]]; }));
  }

  function result(table, state, fired, missing) {
    return { table: table, status: state, fired: fired, missing: missing };
  }

  function output(res, name) {
    var many = res.table.hit === "collect";
    if (res.status === "silent") {
      return { status: "silent", value: null, note: res.fired[0].silent };
    }
    var values = [];
    res.fired.forEach(function (r) {
      if (r.then && values.indexOf(r.then[name]) < 0) {
        values.push(r.then[name]);
      }
    });
    if (res.status === "unknown") {
      return { status: "unknown", value: many ? values : null, note: null };
    }
    return { status: "decided", value: many ? values : values[0], note: null };
  }

  function evaluateTable(program, table, env, needs, deps, when) {
    // An unknown column is missing its inputs (or, when known but too imprecise, the
    // inputs it depends on).
    var wanted = function (n) { return needs[n].length ? needs[n] : (deps[n] || []); };
    var fired = [];
    var maybe = [];
    var hit = table.hit;
    for (var i = 0; i < table.rows.length; i++) {
      var r = table.rows[i];
      var st = row(program, r, env, when);
      if (st[0] === false) {
        continue;
      }
      if (st[0] === null) {
        maybe.push([r, st[1]]);
        if (hit === "first" && !fired.length) {
          return result(table, "unknown", [], merge(st[1].map(wanted)));
        }
        continue;
      }
      fired.push(r);
      if (hit === "first") {
        return result(table, r.silent ? "silent" : "decided", [r], []);
      }
    }
    var missing = [];
    maybe.forEach(function (m) {
      missing = merge([missing].concat(m[1].map(wanted)));
    });
    if (hit === "collect") {
      return result(table, maybe.length ? "unknown" : "decided", fired, missing);
    }
    var outcomes = merge([fired.map(outcome), maybe.map(function (m) { return outcome(m[0]); })]);
    if (!fired.length || outcomes.length > 1) {
      return result(table, "unknown", maybe.length ? [] : fired, missing);
    }
    return result(table, fired[0].silent ? "silent" : "decided", fired, []);
  }

  function evaluate(program, decision, inputs) {
    var env = {};
    var needs = {};
    var deps = {};
    decision.inputs.forEach(function (i) {
      env[i.id] = i.id in inputs ? inputs[i.id] : null;
      needs[i.id] = env[i.id] !== null ? [] : [i.id];
      deps[i.id] = [i.id];
    });
    var when = decision.date ? env[decision.date] : null;
    var derived = {};
    decision.derived.forEach(function (item) {
      var vm = formula(program, item, env, needs);
      env[item.id] = vm[0];
      needs[item.id] = vm[1];
      var args = item.op === "months_between" ? item.args : [item.date];
      deps[item.id] = merge(args.filter(function (n) { return n in deps; }).map(function (n) { return deps[n]; }));
      derived[item.id] = vm[0];
    });
    var outputs = {};
    var trace = [];
    var missingAll = [];
    decision.tables.forEach(function (table) {
      var res = evaluateTable(program, table, env, needs, deps, when);
      res.fired.forEach(function (r) {
        trace.push({ table: table.id, row: r.n, line: r.line });
      });
      table.outputs.forEach(function (name) {
        outputs[name] = output(res, name);
        var single = outputs[name].status === "decided" ? outputs[name].value : null;
        env[name] = typeof single === "string" ? single : null;
        needs[name] = res.missing;
        deps[name] = res.missing;
      });
      missingAll = merge([missingAll, res.missing]);
    });
    return {
      decision: decision.id,
      outputs: outputs,
      missing: decision.inputs.map(function (i) { return i.id; }).filter(function (n) {
        return missingAll.indexOf(n) >= 0;
      }),
      derived: derived,
      trace: trace
    };
  }

  // -- reading the form ----------------------------------------------------------------------

  function dayOf(year, month, date) {
    return Math.round(Date.UTC(year, month - 1, date) / DAY);
  }

  /** "2020-06-15", "2020-06" or "2020" as [first day, last day]; null when not a date. */
  function parseDate(text) {
    var m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(text.trim());
    if (!m) {
      return null;
    }
    var year = Number(m[1]);
    if (year < 1) {
      return null;
    }
    if (m[2] === undefined) {
      return [dayOf(year, 1, 1), dayOf(year, 12, 31)];
    }
    var month = Number(m[2]);
    if (month < 1 || month > 12) {
      return null;
    }
    var last = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (m[3] === undefined) {
      return [dayOf(year, month, 1), dayOf(year, month, last)];
    }
    var date = Number(m[3]);
    if (date < 1 || date > last) {
      return null;
    }
    return [dayOf(year, month, date), dayOf(year, month, date)];
  }

  function parseNumber(text) {
    var t = text.trim().replace(",", ".");
    if (!/^-?\d+(\.\d+)?$/.test(t)) {
      return null;
    }
    var n = Number(t);
    return [n, n];
  }

  function readInputs(root, decision, words) {
    var inputs = {};
    var problems = [];
    decision.inputs.forEach(function (item) {
      var control = root.querySelector('[name="' + item.id + '"]');
      if (!control) {
        return;
      }
      var raw = control.value;
      if (raw === "") {
        return;
      }
      var value = null;
      if (item.type === "boolean") {
        value = raw === "ja";
      } else if (item.type === "choice") {
        value = raw;
      } else if (item.type === "date") {
        value = parseDate(raw);
        if (value === null) { problems.push(item.label + ": " + words.bad_date); }
      } else {
        value = parseNumber(raw);
        if (value === null) { problems.push(item.label + ": " + words.bad_number); }
      }
      if (value !== null) {
        inputs[item.id] = value;
      }
    });
    return { inputs: inputs, problems: problems };
  }

  // -- showing the answer ---------------------------------------------------------------------

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function labelOf(options, value) {
    for (var i = 0; i < options.length; i++) {
      if (options[i].value === value) { return options[i].label; }
    }
    return value;
  }

  function derivedText(item, value, words) {
    if (item.op === "coverage") {
      return labelOf(item.options, value);
    }
    var unit = item.unit ? " " + item.unit : "";
    return value[0] === value[1] ? value[0] + unit : value[0] + " " + words.to + " " + value[1] + unit;
  }

  function show(out, decision, answer, problems, words) {
    while (out.firstChild) {
      out.removeChild(out.firstChild);
    }
    out.appendChild(el("h4", words.answer));
    var list = el("dl", null, "decision-aid-outputs");
    decision.outputs.forEach(function (o) {
      var got = answer.outputs[o.id];
      list.appendChild(el("dt", o.label));
      var text;
      if (got.status === "silent") {
        text = words.silent + ": " + got.note;
      } else if (got.status === "unknown") {
        text = words.unknown;
      } else if (Array.isArray(got.value)) {
        text = got.value.map(function (v) { return labelOf(o.options, v); }).join("; ") || words.none;
      } else {
        text = labelOf(o.options, got.value);
      }
      var dd = el("dd", text, "decision-aid-" + got.status);
      dd.setAttribute("data-output", o.id);
      list.appendChild(dd);
    });
    out.appendChild(list);
    if (problems.length) {
      var bad = el("ul", null, "decision-aid-problems");
      problems.forEach(function (p) { bad.appendChild(el("li", p)); });
      out.appendChild(bad);
    }
    if (answer.missing.length) {
      out.appendChild(el("p", words.missing + ":"));
      var missing = el("ul", null, "decision-aid-missing");
      answer.missing.forEach(function (name) {
        missing.appendChild(el("li", labelOf(decision.inputs.map(function (i) {
          return { value: i.id, label: i.label };
        }), name)));
      });
      out.appendChild(missing);
    }
    var derived = decision.derived.filter(function (d) { return answer.derived[d.id] !== null; });
    if (derived.length) {
      out.appendChild(el("p", words.derived + ":"));
      var dl = el("ul");
      derived.forEach(function (d) {
        dl.appendChild(el("li", d.label + ": " + derivedText(d, answer.derived[d.id], words)));
      });
      out.appendChild(dl);
    }
    if (answer.trace.length) {
      out.appendChild(el("p", words.trace + ":"));
      var trace = el("ol", null, "decision-aid-trace");
      var rows = {};
      decision.tables.forEach(function (t) {
        t.rows.forEach(function (r) { rows[t.id + "#" + r.n] = r; });
      });
      answer.trace.forEach(function (step) {
        var source = rows[step.table + "#" + step.row].source;
        var text = words.row.replace("{table}", step.table).replace("{row}", step.row) +
          " — " + words.source + ": " + source.passage +
          (source.quote ? ': "' + source.quote.replace(/\s+/g, " ").trim() + '"' : "");
        trace.appendChild(el("li", text));
      });
      out.appendChild(trace);
    }
    var data = el("pre", JSON.stringify(answer), "decision-aid-answer");
    data.hidden = true;
    out.appendChild(data);
  }

  // -- wiring --------------------------------------------------------------------------------

  var programs = {};

  function load(url) {
    if (!programs[url]) {
      programs[url] = fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) {
          throw new Error("decision tables not found: " + url);
        }
        return response.json();
      });
    }
    return programs[url];
  }

  function start(root) {
    var link = root.querySelector("a.decision-aid-data");
    var out = root.querySelector("output.decision-aid-result");
    if (!link || !out || root.id.indexOf("beslishulp-") !== 0) {
      return;
    }
    var ident = root.id.slice("beslishulp-".length);
    load(link.getAttribute("href")).then(function (program) {
      var decision = null;
      program.decisions.forEach(function (d) { if (d.id === ident) { decision = d; } });
      if (!decision) {
        return;
      }
      var words = program.words;
      var update = function () {
        var read = readInputs(root, decision, words);
        show(out, decision, evaluate(program, decision, read.inputs), read.problems, words);
        root.setAttribute("data-ready", "true");
      };
      root.addEventListener("input", update);
      root.addEventListener("change", update);
      update();
    }).catch(function (error) {
      out.textContent = String(error);
    });
  }

  window.decisionAid = { evaluate: evaluate, parseDate: parseDate };

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("div.decision-aid"), start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
