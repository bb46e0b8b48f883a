# kvr.gp - KV reads per pending call over time, one step line per option:
# Option 0 flat at 1 + stuck messages, a healing option stepping down to 1.
# The time axis is logarithmic so the first polls (where a fix steps from 5
# to 1) get as much room as the rest of the day; a poll at t = 0 is drawn
# at 0.1 s. Each line is the mean KVr of the polls in a bin 1/50 of a decade
# wide (2.3 % of the time): early polls (3 s apart) are one per bin, exact;
# later bins average many polls, so a busy room's noise does not hide the
# other lines. Reads polls.csv (option,t_us,t_s,kvr,kvw,returned,status,bot).
load here.'/common.gp'
set title 'KV reads per poll ([KVr:n] in the bot log; mean per 1/50 decade of time)'
set xlabel 'simulated time (s, log scale)'
set ylabel 'KVr per poll'
set logscale x 10
set format x '%g'
set autoscale xfix
f = out.'/polls.csv'
stats f skip 1 using 4 nooutput
set yrange [0:STATS_max + 0.5]
if (STATS_max <= 12) { set ytics 1 }
bin(t) = t < 0.1 ? 0.1 : 10 ** (floor(log10(t) * 50) / 50.0)
plot for [i=1:words(options)] f skip 1 \
     using (bin($3)):(strcol(1) eq word(options, i) ? $4 : NaN) \
     smooth unique with steps lt i title 'option '.word(options, i)
