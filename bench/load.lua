-- bench/load.lua - the request mix of bench/load.sh, for wrk.
--
-- bench/load.sh prepends the table `mix`: { path, If-None-Match or "" }
-- entries.  Each connection walks the whole mix in turn.  wrk counts a
-- status of 400 or more as an error; done() prints one line that
-- bench/load.sh (and tests/integration/test_load.py) read.

local n = 0

init = function(args)
	-- Threads start at different places in the mix.
	n = math.random(#mix)
end

request = function()
	n = n + 1
	local e = mix[(n % #mix) + 1]
	if e[2] ~= "" then
		return wrk.format("GET", e[1], { ["If-None-Match"] = e[2] })
	end
	return wrk.format("GET", e[1])
end

done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
	    "wrk: requests %d bytes %d connect %d read %d write %d " ..
	    "status %d timeout %d p99_ms %.1f\n",
	    summary.requests, summary.bytes, e.connect, e.read, e.write,
	    e.status, e.timeout, latency:percentile(99) / 1000))
end
