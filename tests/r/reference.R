# Reference values for the itp_stats statistics tests.
#
# Run from the repository root:  Rscript tests/r/reference.R > tests/r/reference.out
# Written with R 4.2.2 (Debian 12) and the Debian packages r-cran-proc (pROC),
# r-cran-effectsize; Dunn's test and the Jonckheere–Terpstra test are computed by hand below
# (no Dunn or clinfun package in Debian). The values are copied into tests/test_*.py with the
# R call beside each one. R is not needed to run the tests.
suppressPackageStartupMessages({
  library(pROC)
  library(effectsize)
})
out <- function(label, value) cat(sprintf("%-45s %s\n", label, paste(sprintf("%.15g", value), collapse = " ")))

# ---- datasets (identical in tests/_data.py) -------------------------------------------------
# A: three groups, no ties, unequal sizes
a_cr <- c(112, 95, 143, 88, 130, 77, 101, 120)
a_pr <- c(150, 162, 99, 171, 140, 133)
a_nr <- c(180, 210, 158, 199, 145, 230, 166, 190, 205)
# B: three groups, ties, unequal sizes
b_cr <- c(60, 75, 75, 80, 90, 90, 90, 110, 120, 65, 70, 85)
b_pr <- c(90, 100, 100, 130, 140, 75, 95)
b_nr <- c(110, 120, 120, 150, 160, 170, 90, 100, 130, 180, 200, 140, 125, 135, 150)
# C: two groups of 55 and 60, no ties (asymptotic because n >= 50)
c_x <- ((1:55) * 37) %% 211 + 0.25
c_y <- ((1:60) * 53) %% 223 + 0.5
# Paired: P1 no ties / no zeros (exact); P2 ties and zeros (asymptotic)
p1_m0 <- c(210, 180, 250, 199, 305, 150, 275, 220, 188, 240)
p1_m6 <- c(260, 175, 310, 240, 330, 190, 281, 262, 214, 301)
p2_m0 <- c(100, 120, 90, 150, 130, 110, 140, 100, 160, 125, 135, 115, 105, 145)
p2_m6 <- c(110, 120, 100, 170, 130, 100, 160, 110, 150, 145, 135, 135, 125, 140)

# ---- Kruskal–Wallis and epsilon squared ----------------------------------------------------
for (nm in c("a", "b")) {
  g <- list(get(paste0(nm, "_cr")), get(paste0(nm, "_pr")), get(paste0(nm, "_nr")))
  k <- kruskal.test(g)
  n <- length(unlist(g))
  out(sprintf("kruskal.test %s statistic", nm), k$statistic)
  out(sprintf("kruskal.test %s p.value", nm), k$p.value)
  out(sprintf("kruskal epsilon2 %s H/(n-1)", nm), k$statistic / (n - 1))
  d <- data.frame(v = unlist(g), g = rep(c("CR", "PR", "NR"), lengths(g)))
  out(sprintf("effectsize::rank_epsilon_squared %s", nm),
      rank_epsilon_squared(v ~ g, data = d, ci = NULL)$rank_epsilon_squared)
}

# ---- Mann–Whitney, rank-biserial, Hodges–Lehmann -------------------------------------------
mw <- function(label, x, y) {
  w <- suppressWarnings(wilcox.test(x, y, conf.int = TRUE, tol.root = 1e-12))
  out(paste(label, "W"), w$statistic)
  out(paste(label, "p.value"), w$p.value)
  out(paste(label, "conf.int"), w$conf.int)
  out(paste(label, "median(outer(x,y,'-'))"), median(outer(x, y, "-")))
  rb <- rank_biserial(x, y)
  out(paste(label, "rank_biserial r CI_low CI_high"), c(rb$r_rank_biserial, rb$CI_low, rb$CI_high))
  cat(paste(label, "method:"), w$method, "\n")
}
mw("wilcox.test a_cr,a_pr", a_cr, a_pr)          # exact (no ties, n < 50)
mw("wilcox.test b_cr,c(b_pr,b_nr)", b_cr, c(b_pr, b_nr))  # ties -> normal + correction
mw("wilcox.test c_x,c_y", c_x, c_y)              # n >= 50 -> normal + correction
w <- wilcox.test(b_cr, c(b_pr, b_nr), correct = FALSE, exact = FALSE)
out("wilcox.test b correct=FALSE p.value", w$p.value)

# ---- Wilcoxon signed rank (paired, m6 - m0) ------------------------------------------------
sr <- function(label, m0, m6) {
  w <- suppressWarnings(wilcox.test(m6, m0, paired = TRUE, conf.int = TRUE, tol.root = 1e-12))
  d <- m6 - m0
  dn <- d[d != 0]
  walsh <- outer(dn, dn, "+") / 2
  out(paste(label, "V"), w$statistic)
  out(paste(label, "p.value"), w$p.value)
  out(paste(label, "conf.int"), w$conf.int)
  out(paste(label, "median(walsh of nonzero d)"), median(walsh[upper.tri(walsh, diag = TRUE)]))
  rb <- rank_biserial(m6, m0, paired = TRUE)
  out(paste(label, "rank_biserial r CI_low CI_high"), c(rb$r_rank_biserial, rb$CI_low, rb$CI_high))
  # by hand, SE from the number of non-zero differences (effectsize 0.8.3 counts x != 0, i.e.
  # every pair here, in its SE; the two agree when there are no zero differences)
  nd <- length(dn); maxw <- nd * (nd + 1) / 2
  se <- sqrt((2 * nd^3 + 3 * nd^2 + nd) / 6) / maxw
  out(paste(label, "rank_biserial Fisher-z CI, nd = nonzero"),
      tanh(atanh(rb$r_rank_biserial) + c(-1, 1) * qnorm(0.975) * se))
  cat(paste(label, "method:"), w$method, "\n")
}
sr("wilcox.test paired p1", p1_m0, p1_m6)
sr("wilcox.test paired p2", p2_m0, p2_m6)

# ---- Dunn (by hand: pooled mid-ranks, tie-corrected SE, two-sided, Holm) --------------------
dunn_hand <- function(label, g) {
  v <- unlist(g); r <- rank(v); n <- length(v)
  grp <- rep(seq_along(g), lengths(g))
  t <- table(v)
  s2 <- n * (n + 1) / 12 - sum(t^3 - t) / (12 * (n - 1))
  mr <- tapply(r, grp, mean); ni <- lengths(g)
  z <- c(); for (i in 1:2) for (j in (i + 1):3)
    z <- c(z, (mr[i] - mr[j]) / sqrt(s2 * (1 / ni[i] + 1 / ni[j])))
  p <- 2 * pnorm(-abs(z))
  out(paste(label, "z (CR-PR, CR-NR, PR-NR)"), z)
  out(paste(label, "p two-sided"), p)
  out(paste(label, "p holm"), p.adjust(p, "holm"))
}
dunn_hand("dunn a", list(a_cr, a_pr, a_nr))
dunn_hand("dunn b", list(b_cr, b_pr, b_nr))

# ---- Jonckheere–Terpstra (by hand) ---------------------------------------------------------
jt_hand <- function(label, g, exact) {
  J <- 0
  for (i in 1:(length(g) - 1)) for (j in (i + 1):length(g))
    J <- J + sum(outer(g[[i]], g[[j]], "<")) + 0.5 * sum(outer(g[[i]], g[[j]], "=="))
  ni <- lengths(g); n <- sum(ni); t <- as.numeric(table(unlist(g)))
  E <- (n^2 - sum(ni^2)) / 4
  V <- (n * (n - 1) * (2 * n + 5) - sum(ni * (ni - 1) * (2 * ni + 5)) - sum(t * (t - 1) * (2 * t + 5))) / 72 +
    sum(ni * (ni - 1) * (ni - 2)) * sum(t * (t - 1) * (t - 2)) / (36 * n * (n - 1) * (n - 2)) +
    sum(ni * (ni - 1)) * sum(t * (t - 1)) / (8 * n * (n - 1))
  out(paste(label, "J E V"), c(J, E, V))
  out(paste(label, "p normal two-sided"), 2 * pnorm(-abs((J - E) / sqrt(V))))
  if (exact) {
    # exact null: convolution of dwilcox(group k vs groups before it)
    dist <- 1; before <- ni[1]
    for (k in 2:length(ni)) {
      dist <- convolve(dist, rev(dwilcox(0:(before * ni[k]), before, ni[k])), type = "open")
      before <- before + ni[k]
    }
    out(paste(label, "p exact two-sided"), min(1, 2 * min(sum(dist[1:(J + 1)]), sum(dist[(J + 1):length(dist)]))))
  }
}
jt_hand("jonckheere a", list(a_cr, a_pr, a_nr), TRUE)
jt_hand("jonckheere b", list(b_cr, b_pr, b_nr), FALSE)

# ---- Fisher and chi-square -----------------------------------------------------------------
tabs <- list(
  t22 = matrix(c(8, 2, 1, 5), 2, byrow = TRUE),
  t23 = matrix(c(20, 10, 5, 10, 15, 12), 2, byrow = TRUE),
  t33 = matrix(c(3, 1, 2, 1, 4, 5, 2, 2, 6), 3, byrow = TRUE),
  t33b = matrix(c(10, 8, 6, 5, 9, 12, 8, 7, 7), 3, byrow = TRUE),
  t34 = matrix(c(2, 3, 1, 4, 5, 1, 2, 0, 1, 1, 6, 2), 3, byrow = TRUE)
)
for (nm in names(tabs)) {
  f <- fisher.test(tabs[[nm]])
  out(sprintf("fisher.test %s p.value", nm), f$p.value)
  if (nm == "t22") out("fisher.test t22 estimate conf.int", c(f$estimate, f$conf.int))
}
# fisher.test finds the conditional MLE and its CI with uniroot at the default tolerance
# (~1.2e-4 on the odds ratio or on its inverse), so the same equations are solved here tightly.
or_cond <- function(t, conf.level = 0.95) {
  m <- sum(t[, 1]); n <- sum(t[, 2]); k <- sum(t[1, ]); x <- t[1, 1]
  lo <- max(0, k - n); hi <- min(k, m); support <- lo:hi
  logdc <- dhyper(support, m, n, k, log = TRUE)
  dnhyper <- function(ncp) { d <- logdc + log(ncp) * support; d <- exp(d - max(d)); d / sum(d) }
  mnhyper <- function(ncp) sum(support * dnhyper(ncp))
  pnhyper <- function(q, ncp, upper = FALSE) {
    d <- dnhyper(ncp); if (upper) sum(d[support >= q]) else sum(d[support <= q]) }
  alpha <- (1 - conf.level) / 2
  est <- exp(uniroot(function(l) mnhyper(exp(l)) - x, c(-20, 20), tol = 1e-14)$root)
  low <- exp(uniroot(function(l) pnhyper(x, exp(l), upper = TRUE) - alpha, c(-20, 20), tol = 1e-14)$root)
  up <- exp(uniroot(function(l) pnhyper(x, exp(l)) - alpha, c(-20, 20), tol = 1e-14)$root)
  c(est, low, up)
}
out("conditional MLE OR t22 (uniroot tol 1e-14)", or_cond(tabs$t22))
out("conditional MLE OR t33b[1:2,1:2] (uniroot tol 1e-14)", or_cond(tabs$t33b[1:2, 1:2]))
for (nm in c("t22", "t23", "t33b")) {
  ch <- suppressWarnings(chisq.test(tabs[[nm]], correct = FALSE))
  out(sprintf("chisq.test %s correct=FALSE X2 df p", nm), c(ch$statistic, ch$parameter, ch$p.value))
}
ch <- chisq.test(tabs$t22, correct = TRUE)
out("chisq.test t22 correct=TRUE X2 p", c(ch$statistic, ch$p.value))

# ---- p.adjust ------------------------------------------------------------------------------
p <- c(0.01, 0.04, 0.03, 0.2, NA, 0.005, 0.04)
out("p.adjust holm", p.adjust(p, "holm"))
out("p.adjust BH", p.adjust(p, "BH"))
out("p.adjust bonferroni", p.adjust(p, "bonferroni"))

# ---- ROC (pROC), Youden, logistic ----------------------------------------------------------
roc_ref <- function(label, cases, controls) {
  y <- c(rep(1, length(cases)), rep(0, length(controls)))
  x <- c(cases, controls)
  r <- roc(y, x, levels = c(0, 1), direction = ">", quiet = TRUE)
  out(paste(label, "auc"), as.numeric(r$auc))
  out(paste(label, "ci.auc delong"), as.numeric(ci.auc(r, method = "delong")))
  b <- coords(r, "best", best.method = "youden", ret = c("threshold", "sensitivity", "specificity"))
  out(paste(label, "coords best youden thr se sp"), unlist(b[1, ]))
  out(paste(label, "n thresholds"), length(r$thresholds))
  # glm's default convergence (epsilon = 1e-8 on the deviance) leaves ~1e-4 relative error in
  # the Wald limits; the tighter control gives the maximum likelihood fit itself
  fit <- glm(y ~ x, family = binomial, control = glm.control(epsilon = 1e-14, maxit = 100))
  fit0 <- glm(y ~ x, family = binomial)
  out(paste(label, "glm (default control) OR per 100, Wald CI"),
      exp(c(coef(fit0)[2], confint.default(fit0)[2, ]) * 100))
  out(paste(label, "glm OR per 100, Wald CI"), exp(c(coef(fit)[2], confint.default(fit)[2, ]) * 100))
  out(paste(label, "glm Wald z p"), summary(fit)$coefficients[2, 3:4])
}
# R1: no ties; R2: ties (CR cases have lower NK)
roc_ref("roc r1", a_cr, c(a_pr, a_nr))
roc_ref("roc r2", b_cr, c(b_pr, b_nr))
