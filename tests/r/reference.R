# Reference values for the itp_stats statistics tests.
#
# Run from the repository root:  Rscript tests/r/reference.R > tests/r/reference.out
# Written with R 4.2.2 (Debian 12) and the Debian packages r-cran-proc (pROC 1.18.0),
# r-cran-effectsize (0.8.3) and r-cran-brglm2 (0.9); Dunn's test, the Jonckheere–Terpstra
# test and the profile penalised likelihood of Firth's logistic regression are computed by
# hand below (no Dunn, clinfun or logistf package in Debian). The values are copied into
# tests/test_*.py with the R call beside each one. R is not needed to run the tests.
#   apt-get install -y r-base-core r-cran-proc r-cran-effectsize r-cran-brglm2
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

# ==== issue 11: attained levels, separation, JT switch, ε² and r intervals ===================
suppressPackageStartupMessages(library(brglm2))  # Debian r-cran-brglm2 (no logistf in Debian)

# ---- Hodges–Lehmann intervals whose requested level cannot be reached ----------------------
# wilcox.test warns "requested conf.level not achievable" and returns the attained level
hl_ref <- function(label, w) {
  out(paste(label, "conf.int conf.level estimate"),
      c(w$conf.int, attr(w$conf.int, "conf.level"), w$estimate))
}
# H1: 7 pairs, 2 zero differences, 5 non-zero -> asymptotic; alpha doubled to 0.2 (80%)
h1_m0 <- c(100, 150, 200, 120, 90, 300, 210)
h1_m6 <- h1_m0 + c(0, 0, -20, 10, 40, 100, 120)
hl_ref("H1 wilcox.test(h1_m6, h1_m0, paired, conf.int)",
       suppressWarnings(wilcox.test(h1_m6, h1_m0, paired = TRUE, conf.int = TRUE, tol.root = 1e-12)))
# H2: 4 non-zero differences, no ties -> exact; qsignrank(0.025, 4) = 0, level 1 - 2/16
h2_m0 <- c(50, 80, 65, 90)
h2_m6 <- h2_m0 + c(-5, 12, 30, 47)
hl_ref("H2 wilcox.test(h2_m6, h2_m0, paired, conf.int)",
       suppressWarnings(wilcox.test(h2_m6, h2_m0, paired = TRUE, conf.int = TRUE)))
out("H2 1 - 2 * psignrank(0, 4)", 1 - 2 * psignrank(0, 4))
# H3: 5 non-zero differences -> exact; attained 1 - 2/32 = 0.9375, R keeps the label 0.95
h3_m0 <- c(50, 80, 65, 90, 70)
h3_m6 <- h3_m0 + c(3, -1, 8, 12, 20)
hl_ref("H3 wilcox.test(h3_m6, h3_m0, paired, conf.int)",
       wilcox.test(h3_m6, h3_m0, paired = TRUE, conf.int = TRUE))
out("H3 1 - 2 * psignrank(0, 5)", 1 - 2 * psignrank(0, 5))
# H4: 3 vs 3, no ties -> exact; qwilcox(0.025, 3, 3) = 0, level 1 - 2/20
h4_x <- c(1.5, 4, 7); h4_y <- c(2, 9, 12)
hl_ref("H4 wilcox.test(h4_x, h4_y, conf.int)",
       suppressWarnings(wilcox.test(h4_x, h4_y, conf.int = TRUE)))
out("H4 1 - 2 * pwilcox(0, 3, 3)", 1 - 2 * pwilcox(0, 3, 3))
# H5: 3 vs 3 with ties -> asymptotic; R returns the range of the differences labelled 0.95
# (no level check in its two-sample code); the project lowers the level by R's one-sample
# rule (here to 0.80) and that interval is R's at conf.level = 0.8
h5_x <- c(1, 2, 2); h5_y <- c(2, 5, 6)
hl_ref("H5 wilcox.test(h5_x, h5_y, conf.int)",
       suppressWarnings(wilcox.test(h5_x, h5_y, conf.int = TRUE, tol.root = 1e-12)))
hl_ref("H5 wilcox.test(h5_x, h5_y, conf.int, conf.level = 0.8)",
       suppressWarnings(wilcox.test(h5_x, h5_y, conf.int = TRUE, conf.level = 0.8, tol.root = 1e-12)))
# the statistic R's one-sample rule checks, W(d) at the ends of the range of x - y
w5 <- function(d) {
  dr <- rank(c(h5_x - d, h5_y)); nt <- table(dr)
  dz <- sum(dr[1:3]) - 3 * 4 / 2 - 9 / 2
  (dz - sign(dz) * 0.5) / sqrt(9 / 12 * (7 - sum(nt^3 - nt) / 30))
}
out("H5 W(min(x)-max(y)) W(max(x)-min(y))", c(w5(min(h5_x) - max(h5_y)), w5(max(h5_x) - min(h5_y))))

# ---- Jonckheere–Terpstra at n = 100 (exact, as clinfun) and n = 101 (normal) ---------------
jt_base <- ((1:101) * 7919) %% 10007  # distinct integers; group shifts keep them distinct
jt_groups <- function(n_nr) list(jt_base[1:40], jt_base[41:60] + 910.25,
                                 jt_base[61:(60 + n_nr)] + 1820.5)
jt_exact <- function(g) {
  # exact two-sided p by direct polynomial products of dwilcox (no FFT)
  J <- 0
  for (i in 1:(length(g) - 1)) for (j in (i + 1):length(g)) J <- J + sum(outer(g[[i]], g[[j]], "<"))
  ni <- lengths(g); dist <- 1; before <- ni[1]
  for (k in 2:length(ni)) {
    b <- dwilcox(0:(before * ni[k]), before, ni[k]); res <- numeric(length(dist) + length(b) - 1)
    for (i in seq_along(dist)) res[i:(i + length(b) - 1)] <- res[i:(i + length(b) - 1)] + dist[i] * b
    dist <- res; before <- before + ni[k]
  }
  n <- sum(ni); E <- (n^2 - sum(ni^2)) / 4
  V <- (n^2 * (2 * n + 3) - sum(ni^2 * (2 * ni + 3))) / 72
  c(J, min(1, 2 * min(sum(dist[1:(J + 1)]), sum(dist[(J + 1):length(dist)]))),
    2 * pnorm(-abs((J - E) / sqrt(V))))
}
out("JT100 J, exact p, normal p", jt_exact(jt_groups(40)))
out("JT101 J, exact p, normal p", jt_exact(jt_groups(41)))

# ---- ε²: one-sided interval from the noncentral F of the ANOVA on ranks -------------------
# H/(n-1) is the eta^2 of aov(rank(v) ~ g); lambda solves P(F'(k-1, n-k, lambda) >= F) = 0.05
# (uniroot on pf); the limit is Steiger's eta^2 = lambda / (lambda + n). effectsize 0.8.3
# finds the same lambda (by optim) but converts with lambda / (lambda + n - k): its CI_low is
# printed with the lambda it implies, to show that the noncentrality agrees.
eps_ref <- function(label, g) {
  d <- data.frame(v = unlist(g), g = factor(rep(seq_along(g), lengths(g))))
  k <- kruskal.test(v ~ g, data = d); n <- nrow(d); H <- unname(k$statistic)
  df1 <- length(g) - 1; df2 <- n - length(g)
  f <- (H / df1) / ((n - 1 - H) / df2)
  lam <- if (pf(f, df1, df2, lower.tail = FALSE) >= 0.05) 0 else
    uniroot(function(l) pf(f, df1, df2, ncp = l, lower.tail = FALSE) - 0.05, c(0, 1000),
            tol = 1e-13)$root
  a <- eta_squared(aov(rank(v) ~ g, data = d), partial = FALSE, ci = 0.95, alternative = "greater")
  out(paste(label, "H p H/(n-1) eta2(aov rank)"), c(H, k$p.value, H / (n - 1), a$Eta2))
  out(paste(label, "lambda, lambda/(lambda+n)"), c(lam, lam / (lam + n)))
  e <- F_to_eta2(f, df1, df2, ci = 0.95, alternative = "greater")
  out(paste(label, "F_to_eta2 CI_low, its lambda (x df2/(1-x))"),
      c(e$CI_low, e$CI_low * df2 / (1 - e$CI_low)))
}
eps_ref("eps A", list(a_cr, a_pr, a_nr))
eps_ref("eps B", list(b_cr, b_pr, b_nr))
# E: overlapping groups (p > 0.5): the interval starts at 0
e1 <- c(5.1, 7.3, 2.2, 9.8, 4.4, 6.0, 3.5); e2 <- c(6.6, 2.9, 8.1, 4.9, 5.5)
e3 <- c(3.1, 7.7, 5.8, 9.1, 4.0, 6.3, 2.5, 8.6)
eps_ref("eps E", list(e1, e2, e3))
# G: weak effect near alpha
g1 <- c(1.2, 3.4, 2.2, 5.1, 0.7, 2.9, 4.0, 1.8, 3.1, 2.5)
g2 <- c(2.8, 4.6, 3.3, 5.9, 1.9, 4.1, 3.7, 6.2, 2.6)
g3 <- c(4.4, 3.9, 6.6, 5.2, 2.4, 7.1, 4.8, 5.6, 3.0, 6.9, 4.2)
eps_ref("eps G", list(g1, g2, g3))

# ---- rank-biserial r = 2 AUC - 1 with the DeLong CI of the AUC (pROC) ---------------------
rb_ref <- function(label, x, y) {
  r <- roc(controls = y, cases = x, direction = "<", quiet = TRUE)
  ci <- as.numeric(ci.auc(r, method = "delong"))
  out(paste(label, "2*auc-1, 2*ci.auc(delong)-1"), c(2 * as.numeric(r$auc) - 1, 2 * ci[c(1, 3)] - 1))
}
rb_ref("rb a_cr,a_pr", a_cr, a_pr)
rb_ref("rb b_cr,c(b_pr,b_nr)", b_cr, c(b_pr, b_nr))
rb_ref("rb c_x,c_y", c_x, c_y)

# ---- logistic: overlap with one extreme control (finite ML although fitted p ~ 0) ----------
lg_all <- 3 * (1:139)
lg_cases <- c(3 * (1:83), 255, 258, 264, 267, 270, 273, 279, 282, 288, 297, 303, 306, 312, 321,
              336, 345, 369)
lg_controls <- c(setdiff(lg_all, lg_cases), 2500)
lg_x <- c(lg_cases, lg_controls); lg_y <- c(rep(1, length(lg_cases)), rep(0, length(lg_controls)))
fit <- suppressWarnings(glm(lg_y ~ lg_x, family = binomial,
                            control = glm.control(epsilon = 1e-14, maxit = 100)))
out("LG glm converged, min fitted p", c(fit$converged, min(fitted(fit))))
out("LG glm OR per 100, Wald CI", exp(c(coef(fit)[2], confint.default(fit)[2, ]) * 100))
out("LG glm Wald z p", summary(fit)$coefficients[2, 3:4])

# ---- Firth under separation: brglm2 estimate; profile penalised likelihood by hand ---------
# logistf is not in Debian: the estimate is brglm2's (type = "MPL_Jeffreys": Firth's
# penalised likelihood, which logistf maximises); the profile interval and the penalised LR
# test are computed here from that penalised log-likelihood, as logistf defines them.
firth_ref <- function(label, cases, controls) {
  x <- c(cases, controls); y <- c(rep(1, length(cases)), rep(0, length(controls)))
  X <- cbind(1, x)
  pl <- function(b) {
    eta <- as.vector(X %*% b); p <- plogis(eta); w <- p * (1 - p)
    I <- crossprod(X, X * w)
    sum(y * eta - (pmax(eta, 0) + log1p(exp(-abs(eta))))) +
      0.5 * as.numeric(determinant(I, logarithm = TRUE)$modulus)
  }
  fit <- glm(y ~ x, family = binomial, method = "brglmFit", type = "MPL_Jeffreys",
             control = brglmControl(epsilon = 1e-12, maxit = 500))
  b <- coef(fit)
  o <- optim(b, function(v) -pl(v), method = "BFGS", control = list(reltol = 1e-15, maxit = 1000))
  plmax <- pl(b)
  prof <- function(b1) optimize(function(b0) pl(c(b0, b1)), -b1 * mean(x) + c(-60, 60),
                                maximum = TRUE, tol = 1e-12)$objective
  q <- qchisq(0.95, 1)
  g <- function(b1) 2 * (plmax - prof(b1)) - q
  se <- sqrt(diag(vcov(fit)))[2]
  lo <- uniroot(g, c(b[2] - 20 * se, b[2]), tol = 1e-13)$root
  hi <- uniroot(g, c(b[2], b[2] + 20 * se), tol = 1e-13)$root
  chisq <- 2 * (plmax - prof(0))
  out(paste(label, "brglm2 MPL_Jeffreys b0 b1"), b)
  out(paste(label, "optim(penalised loglik) b0 b1"), o$par)
  out(paste(label, "OR, profile penalised-likelihood CI"), exp(c(b[2], lo, hi)))
  out(paste(label, "penalised LR chisq p"), c(chisq, pchisq(chisq, 1, lower.tail = FALSE)))
}
f_cases <- c(12, 30, 45, 51, 60, 77, 80)
f_controls <- c(95, 101, 130, 150, 170, 190, 230, 260)
firth_ref("F1 complete", f_cases, f_controls)
firth_ref("F2 quasi-complete", c(12, 30, 45, 51, 60, 77, 95), f_controls)

# Two-sample HL interval with ties: R keeps the requested level (test_effsize.py,
# test_two_sample_hl_interval_is_the_inverted_test_at_the_requested_level)
w <- wilcox.test(c(1, 1, 2), c(3, 4, 5, 5, 6), conf.int = TRUE, exact = FALSE)
cat("HL tied two-sample conf.int", w$conf.int, "conf.level", attr(w$conf.int, "conf.level"), "\n")
