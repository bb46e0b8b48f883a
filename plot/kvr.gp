# kvr.gp - KV reads per pending call over time, one step line per option:
# Option 0 flat at 1 + stuck messages, a healing option stepping down to 1.
# The time axis is logarithmic so the first polls (where a fix steps from 5
# to 1) get as much room as the rest of the day; a poll at t = 0 is drawn
# at 0.1 s. Reads polls.csv (option,t_us,t_s,kvr,kvw,returned,status,bot).
load here.'/common.gp'
set title 'KV reads per poll ([KVr:n] in the bot log)'
set xlabel 'simulated time (s, log scale)'
set ylabel 'KVr per poll'
set logscale x 10
set format x '%g'
set autoscale xfix
set yrange [0:*]
set ytics 1
set offsets 0, 0, 0.5, 0
plot for [i=1:words(options)] out.'/polls.csv' skip 1 \
     using ($3 < 0.1 ? 0.1 : $3):(strcol(1) eq word(options, i) ? $4 : NaN) \
     with steps lt i title 'option '.word(options, i)
