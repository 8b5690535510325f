-- wrk script of bench_lookup.py --client wrk: POST /api/lookup, each request the next JSON
-- body of a file (one per line).  Arguments: FILE [STEP [OFFSET]]; with one wrk thread the
-- bodies go out in file order from OFFSET, each once while the file lasts.  No arguments: the
-- URL's own GET (the bare route).
local bodies = {}
local counter = 0
local step = 1

function init(args)
  if args[1] == nil then
    return
  end
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = line
  end
  step = tonumber(args[2] or "1")
  counter = tonumber(args[3] or "0")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  if #bodies == 0 then
    return wrk.format()
  end
  local i = (counter % #bodies) + 1
  counter = counter + step
  return wrk.format(nil, "/api/lookup", nil, bodies[i])
end

function done(summary, latency, requests)
  io.write(string.format("P50US %d\nP99US %d\n", latency:percentile(50), latency:percentile(99)))
end
