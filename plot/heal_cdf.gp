# heal_cdf.gp - the healed share of divergence episodes within x: 1 - the
# Kaplan-Meier survival of the healing time (heal_km.csv, written by qsim
# run), one step line per option with its Greenwood 95 % band (thin lines
# of the same colour and dash) and censor marks (+: episodes that ended
# unhealed, aged out, overwritten or still open, at the share then
# reached), and a dot where each curve ends (its last observation). An
# option where nothing healed is a line at 0. Log time axis; a time of 0
# is drawn at 1 ms. The axis ends just past the last observation.
load here.'/common.gp'
set title 'Healing time: share of divergence episodes healed within x (Kaplan-Meier, 95 % Greenwood band, + censored)'
set xlabel 'time since the episode opened (s, log scale)'
set ylabel 'share of episodes healed'
set logscale x 10
set format x '%g'
f = out.'/heal_km.csv'
x(t) = t < 0.001 ? 0.001 : t
# the axis ends just past the last observation (a little room, so the end
# markers and a line at 0 or 1 are not hidden by the border)
stats f skip 1 using (x($3)) nooutput
set xrange [STATS_min : STATS_max * 1.6]
set yrange [-0.03:1.03]
set ytics 0,0.2,1
plot for [i=1:words(options)] f skip 1 \
        using (x($3)):((strcol(1) eq word(options, i) && strcol(2) ne 'none') ? $4 : NaN) \
        with steps lt i title 'option '.word(options, i), \
     for [i=1:words(options)] f skip 1 \
        using (x($3)):((strcol(1) eq word(options, i) && strcol(2) ne 'none') ? $5 : NaN) \
        with steps lt i lw 0.6 notitle, \
     for [i=1:words(options)] f skip 1 \
        using (x($3)):((strcol(1) eq word(options, i) && strcol(2) ne 'none') ? $6 : NaN) \
        with steps lt i lw 0.6 notitle, \
     for [i=1:words(options)] f skip 1 \
        using (x($3)):((strcol(1) eq word(options, i) && strcol(2) eq 'censor') ? $4 : NaN) \
        with points lt i pt 1 ps 0.5 notitle, \
     for [i=1:words(options)] f skip 1 \
        using (x($3)):((strcol(1) eq word(options, i) && strcol(2) eq 'end') ? $4 : NaN) \
        with points lt i pt 7 ps 1.0 notitle
